import Foundation
import StableDiffusion

extension TrainingConfig {
    /// Checks the settings whose range depends on the model (see ``ConfigLimit/modelCondition``):
    /// `max_denoising_steps` at most the scheduler's training timesteps, `resolution` a multiple
    /// of the model's latent factor. Run before any training starts; errors name `source`, the
    /// key and the allowed values.
    public func check(model: StableDiffusionModel, source: String) throws {
        let timesteps = model.scheduler.numTrainTimesteps
        if maxDenoisingSteps > timesteps {
            throw ConfigError(file: source, key: "max_denoising_steps",
                              problem: "must be at most \(timesteps) (num_train_timesteps of \(model.directory.lastPathComponent)'s scheduler), found \(maxDenoisingSteps)")
        }
        if let resolution {
            let factor = model.vaeScale * model.unet.sizeMultiple
            guard resolution % factor == 0 else {
                throw ConfigError(file: source, key: "resolution",
                                  problem: "must be a multiple of \(factor) for \(model.directory.lastPathComponent) (VAE factor \(model.vaeScale) x UNet downsampling \(model.unet.sizeMultiple)) in \(ConfigLimits.limit("resolution").rangeText), found \(resolution)")
            }
        }
    }
}
