import StableDiffusion
import TensorEngine

/// One forward and backward pass of a frozen UNet with one trainable membrane attached at
/// multiplier 1 on every row: the loss is the mean of the output squared. Gradients reach the
/// membrane's parameters only; the UNet's weights are constants, so the backward pass computes
/// activation (input) gradients along the paths that lead to the membrane and no weight
/// gradients. The benchmark "SD v1.5 UNet forward + backward" times this, and PyTorch's side does
/// the same work with `requires_grad` set on its rank-1 adapters alone.
public enum MembraneGradientPass {
    /// Runs the pass with `membrane` (whose parameters must be trainable: ``Membrane/trainable()``)
    /// and returns the loss; the gradients are left on `membrane.parameters`.
    @discardableResult
    public static func run(unet: UNet, membrane: Membrane, latents: Tensor, timesteps: [Float], context: Tensor) -> Float {
        let adapter = MembraneAdapter(membranes: [membrane], multiplier: 1, rows: latents.shape[0])
        let output = unet(latents, timesteps: timesteps, context: context, adapter: adapter)
        let loss = (output * output).mean()
        loss.backward()
        return loss.scalars.first ?? .nan
    }
}
