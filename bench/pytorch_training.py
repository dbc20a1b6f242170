"""The PyTorch port of the reference SPM training loop, for `make bench-compare`: the training row
on shapesworld-a (configs/shapesworld/red.yaml, timed as TrainingBench.swift) and, through
sd15_pytorch.py, one iteration on an SD v1.5-size model with random weights."""

import os
import statistics
import time

from benchrows import LABELS, TRAINING, TRAINING_CONFIG, TRAINING_ITERATIONS, format_time, log, membrane_trajectory_lengths


class ReferenceMembrane:
    """The membrane as the reference builds it: a rank-1 adapter (down: in -> 1, keeping a conv's
    kernel, stride and padding; up: 1 -> out) on every Linear and Conv2d inside every
    Transformer2DModel of the UNet, added to the layer's output (alpha / rank = 1):
    y = layer(x) + multiplier * up(down(x)). As in the reference, the adapter branch is computed at
    every multiplier, 0 (the original model) included."""

    def __init__(self, torch, unet):
        from diffusers import Transformer2DModel

        nn = torch.nn
        self.torch = torch
        self.multiplier = 1.0
        self.adapters = []
        self.hooks = []
        for block in unet.modules():
            if not isinstance(block, Transformer2DModel):
                continue
            for layer in block.modules():
                if isinstance(layer, nn.Linear):
                    down = nn.Linear(layer.in_features, 1, bias=False)
                    up = nn.Linear(1, layer.out_features, bias=False)
                elif isinstance(layer, nn.Conv2d):
                    down = nn.Conv2d(layer.in_channels, 1, layer.kernel_size, layer.stride,
                                     layer.padding, bias=False)
                    up = nn.Conv2d(1, layer.out_channels, 1, bias=False)
                else:
                    continue
                self.adapters.append((down, up))
                self.hooks.append(layer.register_forward_hook(self._branch(down, up)))

    def _branch(self, down, up):
        def add(layer, inputs, output):
            return output + up(down(inputs[0])) * self.multiplier
        return add

    def reset(self):
        """Fresh weights: down Kaiming-uniform (a = sqrt(5)), up zero (from torch's global seed)."""
        with self.torch.no_grad():
            for down, up in self.adapters:
                self.torch.nn.init.kaiming_uniform_(down.weight, a=5 ** 0.5)
                self.torch.nn.init.zeros_(up.weight)

    def parameters(self):
        return [p for pair in self.adapters for m in pair for p in m.parameters()]

    def remove(self):
        for hook in self.hooks:
            hook.remove()



class ReferenceLoop:
    """One SPM training iteration ("erase_with_la") with the reference's cost structure: every eps
    runs as a classifier-free-guidance batch (unconditional half included, thrown away at
    guidance 1): the t_to trajectory steps (batch 2, membrane on, trajectory guidance), e_p and e_n
    as two separate batch-2 calls (membrane at 0, no gradient), e_t (batch 2, gradient), the
    anchors with the membrane (gradient) and without (no gradient); one loss, backward, AdamW on
    the membrane only. `config` is the training YAML's dict, `side` the latent side."""

    def __init__(self, torch, F, unet, tokenizer, text_encoder, scheduler, config, side):
        from diffusers.optimization import get_scheduler

        self.torch, self.F, self.unet, self.scheduler, self.config, self.side = \
            torch, F, unet, scheduler, config, side
        self.get_scheduler = get_scheduler
        self.steps = int(config.get("max_denoising_steps", 30))
        self.seed = int(config.get("seed", 0))
        self.guidance = float(config.get("guidance_scale", 1.0))
        self.trajectory_guidance = float(config.get("trajectory_guidance", 3.0))
        self.la_strength = float(config.get("la_strength", 1000))
        self.anchors_per_iteration = int(config.get("sampling_batch_size", 4))
        target = config["target"]
        prompts = [target, config.get("positive", target), config.get("neutral", ""), config.get("unconditional", "")]
        unet.requires_grad_(False)
        ids = tokenizer(prompts, padding="max_length", max_length=tokenizer.model_max_length,
                        truncation=True, return_tensors="pt").input_ids
        with torch.no_grad():  # the reference encodes its prompts once, before training
            self.c_t, self.c_p, self.c_n, self.c_u = text_encoder(ids).last_hidden_state.split(1)
        self.membrane = ReferenceMembrane(torch, unet)

    def eps(self, latents, t, cond, guidance_scale=1.0):
        """The reference's noise prediction: unconditional and conditional rows in one batch."""
        torch = self.torch
        n = cond.shape[0]
        x = self.scheduler.scale_model_input(torch.cat([latents.expand(n, -1, -1, -1)] * 2), t)
        out = self.unet(x, t, encoder_hidden_states=torch.cat([self.c_u.expand(n, -1, -1), cond])).sample
        u, c = out.chunk(2)
        return u + guidance_scale * (c - u)

    def sample_anchors(self, generator):
        torch, c_t = self.torch, self.c_t
        flat_target = c_t.flatten()
        norm = flat_target.norm()
        anchors = []
        while len(anchors) < self.anchors_per_iteration:
            while True:
                n = torch.randn(c_t.shape, generator=generator)
                n = n / n.flatten().norm()
                keep = 1 - self.F.cosine_similarity(flat_target, n.flatten(), dim=0)
                if torch.rand((), generator=generator) < keep:
                    break
            anchors.append(n * (0.8 + 0.4 * torch.rand((), generator=generator)) * norm)
        return torch.cat(anchors)

    def fresh(self):
        """A fresh membrane, AdamW and learning-rate schedule, and the loop's generator."""
        torch, config = self.torch, self.config
        torch.manual_seed(self.seed)
        self.membrane.reset()
        optimizer = torch.optim.AdamW(self.membrane.parameters(), lr=float(config.get("lr", 1e-4)),
                                      betas=(0.9, 0.999), eps=1e-8,
                                      weight_decay=float(config.get("weight_decay", 0.01)))
        schedule = self.get_scheduler(config.get("lr_scheduler", "constant"), optimizer,
                                      num_warmup_steps=int(config.get("lr_warmup_steps", 0)),
                                      num_training_steps=int(config.get("iterations", 3000)))
        return optimizer, schedule, torch.Generator().manual_seed(self.seed)

    def iteration(self, t_to, optimizer, schedule, generator):
        torch, F, scheduler, membrane = self.torch, self.F, self.scheduler, self.membrane
        # 1. Trajectory: t_to DDIM steps of the `steps`-step schedule, membrane on, guided.
        scheduler.set_timesteps(self.steps)
        membrane.multiplier = 1.0
        with torch.no_grad():
            z = torch.randn(1, 4, self.side, self.side, generator=generator) * scheduler.init_noise_sigma
            for t in scheduler.timesteps[:t_to]:
                z = scheduler.step(self.eps(z, t, self.c_t, self.trajectory_guidance), t, z).prev_sample
        scheduler.set_timesteps(1000)
        t = scheduler.timesteps[int(t_to * 1000 / self.steps)]
        # 2. The original model on positive and neutral, one CFG batch each.
        membrane.multiplier = 0.0
        with torch.no_grad():
            e_p = self.eps(z, t, self.c_p)
            e_n = self.eps(z, t, self.c_n)
        # 3-4. The membrane model on the target and the anchors (gradient), anchors without it.
        membrane.multiplier = 1.0
        anchors = self.sample_anchors(generator)
        with torch.enable_grad():
            e_t = self.eps(z, t, self.c_t)
            a = self.eps(z, t, anchors)
        membrane.multiplier = 0.0
        with torch.no_grad():
            a0 = self.eps(z, t, anchors)
        # 5-6. Loss, backward, AdamW on the membrane.
        with torch.enable_grad():
            loss = F.mse_loss(e_t, e_n - self.guidance * (e_p - e_n)) + self.la_strength * F.mse_loss(a, a0)
            loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    def describe(self):
        params = sum(p.numel() for p in self.membrane.parameters())
        return f"{len(self.membrane.adapters)} adapted layers ({params} parameters)"


def training_config(path=TRAINING_CONFIG):
    import yaml

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def pytorch_training(torch, F, runs, model_dir, results, notes):
    """The reference loop on shapesworld-a with red.yaml, timed as TrainingBench.swift: mean
    seconds per iteration over a fixed run of 30 iterations (fresh membrane and optimizer, same
    seeds, same t_to as Membrane's run), median over max(1, runs // 2) runs, after one untimed
    warm-up iteration."""
    from diffusers import DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    config = training_config()
    unet = UNet2DConditionModel.from_pretrained(os.path.join(model_dir, "unet"),
                                                low_cpu_mem_usage=False).eval()
    tokenizer = CLIPTokenizer.from_pretrained(os.path.join(model_dir, "tokenizer"))
    text_encoder = CLIPTextModel.from_pretrained(os.path.join(model_dir, "text_encoder")).eval()
    scheduler = DDIMScheduler.from_pretrained(os.path.join(model_dir, "scheduler"))
    loop = ReferenceLoop(torch, F, unet, tokenizer, text_encoder, scheduler, config, unet.config.sample_size)
    del text_encoder
    draws = membrane_trajectory_lengths(loop.seed, TRAINING_ITERATIONS, loop.steps)

    loop.iteration(draws[0], *loop.fresh())  # warm-up
    means, losses = [], []
    for _ in range(max(1, runs // 2)):
        state = loop.fresh()
        start = time.perf_counter()
        losses = [loop.iteration(t_to, *state) for t_to in draws]
        means.append((time.perf_counter() - start) / len(draws))
    results[TRAINING] = statistics.median(means)
    notes[TRAINING] = (f"PyTorch: {loop.describe()}, "
                       f"t_to {draws} (Membrane's draws, mean {sum(draws) / len(draws):.1f}), "
                       f"loss {losses[0]:.4f} -> {losses[-1]:.4f}, AdamW (reference: AdamW8bit on CUDA)")
    log(f"  {LABELS[TRAINING]}: {format_time(results[TRAINING])} ({notes[TRAINING]})")
    loop.membrane.remove()
