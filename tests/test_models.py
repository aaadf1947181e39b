import math

import numpy as np
import pytest
import torch

from ae_core import MODELS, build_model, interpolate
from ae_core.checkpoints import load_checkpoint, save_checkpoint
from ae_core.models.base import gaussian_kl, reconstruction_loss
from ae_core.models.metrics import evaluate

IMAGE, COLOR, TABLE = (1, 12, 12), (3, 10, 14), (20,)
CONV = {"conv", "conv_vae", "photo_denoiser"}


def shapes_for(name):
    return [IMAGE, COLOR] if name in CONV else [IMAGE, COLOR, TABLE]


def code_shape(model, n, shape):
    """Flat codes (n, latent_dim), or a half-resolution feature map for spatial-code models."""
    if model.spatial_code:
        return (n, model.latent_dim, shape[1] // 2, shape[2] // 2)
    return (n, model.latent_dim)


CASES = [(name, shape) for name in MODELS for shape in shapes_for(name)]


@pytest.mark.parametrize(("name", "shape"), CASES)
@pytest.mark.parametrize("latent_dim", [3, 400])  # under- and over-complete
def test_shapes_and_differentiable_loss(name, shape, latent_dim):
    model = build_model(name, shape, latent_dim, seed=0)
    x = torch.rand(5, *shape)
    out = model(x)
    assert out.recon.shape == x.shape
    assert out.z.shape == code_shape(model, 5, shape)
    assert model.encode(x).shape == code_shape(model, 5, shape)
    assert model.decode(torch.randn(code_shape(model, 2, shape))).shape == (2, *shape)
    assert (out.mu is not None) == model.variational
    parts = model.training_loss(x)
    assert torch.isfinite(parts["loss"])
    assert parts["loss"].shape == ()
    parts["loss"].backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize(("name", "shape"), CASES)
def test_save_load_round_trip(name, shape, tmp_path):
    model = build_model(name, shape, 4, seed=1).eval()
    x = torch.rand(3, *shape)
    save_checkpoint(model, tmp_path / "ck", dataset="digits", metrics={"mse": 0.1})
    loaded = load_checkpoint(tmp_path / "ck")
    assert loaded.model.registry_name == name
    assert loaded.metrics == {"mse": 0.1}
    torch.testing.assert_close(loaded.model.encode(x), model.encode(x))
    torch.testing.assert_close(loaded.model.decode(model.encode(x)), model.decode(model.encode(x)))


def test_outputs_in_unit_interval_for_bce_and_free_for_linear():
    x = torch.rand(4, 20)
    assert build_model("deep", TABLE, 3)(x).recon.min() >= 0
    linear = build_model("linear", TABLE, 3)
    assert linear.options.recon_loss == "mse"
    with torch.no_grad():
        linear.decoder[0].bias.fill_(5.0)
    assert linear(x).recon.max() > 1


def test_bce_and_mse_losses_are_what_they_say():
    logits, x = torch.tensor([[0.0, 2.0]]), torch.tensor([[1.0, 0.0]])
    bce = reconstruction_loss(logits, x, "bce")
    expected = -(math.log(0.5) + math.log(1 - 1 / (1 + math.exp(-2))))
    assert float(bce) == pytest.approx(expected, rel=1e-5)
    mse = reconstruction_loss(logits, x, "mse", "linear")
    assert float(mse) == pytest.approx(1 + 4)


def test_contractive_penalty_is_the_exact_jacobian_norm():
    model = build_model("contractive", TABLE, 6, contractive_weight=1.0, seed=0)
    x = torch.rand(7, 20)
    penalty = model.penalties(x, model(x))["contractive"]
    # The closed form for the sigmoid layer (Rifai et al. 2011) must equal the Jacobian autograd computes.
    torch.testing.assert_close(penalty, model._autograd_jacobian_norm(x).mean())
    penalty.backward()
    weight = model.encoder[1].weight
    assert weight.grad is not None and weight.grad.abs().sum() > 0


def test_contractive_penalty_of_a_deeper_encoder_uses_its_jacobian():
    model = build_model("contractive", TABLE, 6, contractive_weight=1.0, hidden_dims=(12,), seed=0)
    x = torch.rand(5, 20)
    jacobian = torch.stack([torch.autograd.functional.jacobian(lambda s: model.encode(s[None])[0], s) for s in x])
    expected = jacobian.pow(2).flatten(1).sum(dim=1).mean()
    torch.testing.assert_close(model.penalties(x, model(x))["contractive"], expected)


def test_sparse_penalty_makes_codes_sparser(tiny_images):
    from ae_core.train.loop import fit

    means = {}
    for weight in (0.0, 3.0):
        model = build_model("sparse", IMAGE, 32, sparsity_weight=weight, sparsity_target=0.05, seed=0)
        fit(model, tiny_images, epochs=60, batch_size=20, lr=1e-2, threads=1)
        means[weight] = float(model.embed(tiny_images).mean())
    assert means[3.0] < 0.5 * means[0.0], means
    assert means[3.0] < 0.2, means


@pytest.mark.parametrize("kind", ["l1", "kl"])
def test_sparse_penalty_kinds(kind):
    model = build_model("sparse", TABLE, 8, sparsity=kind, sparsity_weight=0.7, sparsity_target=0.05, seed=0)
    x = torch.rand(4, 20, generator=torch.Generator().manual_seed(0))
    parts = model.training_loss(x)
    assert float(parts["sparsity"]) > 0
    z = model.encode(x).detach().double().numpy()
    if kind == "l1":  # the L1 norm of each code, averaged over the batch
        expected = np.abs(z).sum(axis=1).mean()
    else:  # sum over units of KL(rho || rho_hat), rho_hat the unit's mean activation (Ng's notes)
        rho, rho_hat = 0.05, z.mean(axis=0)
        expected = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    assert float(parts["sparsity"]) == pytest.approx(0.7 * expected, rel=1e-5)


def test_denoising_corrupts_only_while_training():
    model = build_model("denoising", TABLE, 4, noise="masking", noise_level=0.5, seed=0)
    x = torch.ones(2, 20)
    assert (model.corrupt(x) == 0).any()
    assert torch.equal(build_model("deep", TABLE, 4).corrupt(x), x)
    # Training sees the corrupted input; validation and the inference helpers see x itself.
    seen = []
    model.encoder.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    x = 0.5 + torch.rand(8, 20, generator=torch.Generator().manual_seed(1))  # no zeros of its own
    model.training_loss(x, torch.Generator().manual_seed(2))
    assert (seen[-1] == 0).float().mean() == pytest.approx(0.5, abs=0.15)
    model.validation_loss(x, torch.Generator().manual_seed(2))
    assert torch.equal(seen[-1], x)
    model.reconstruct(x)
    model.embed(x)
    assert all(torch.equal(s, x) for s in seen[-2:])


def test_vae_samples_while_training_and_uses_the_mean_otherwise():
    model = build_model("vae", TABLE, 4, seed=0)
    x = torch.rand(3, 20)
    model.train()
    assert not torch.allclose(model(x).z, model(x).z)
    model.eval()
    torch.testing.assert_close(model(x).z, model.encode(x))
    parts = model.loss(x, model(x))
    assert float(parts["kl"]) >= 0


def test_beta_scales_the_kl_term():
    x = torch.rand(3, 20)
    losses = {}
    for beta in (1.0, 4.0):
        model = build_model("vae", TABLE, 4, beta=beta, seed=0).eval()
        parts = model.loss(x, model(x))
        losses[beta] = float(parts["loss"] - parts["recon"]), float(parts["kl"])
    assert losses[4.0][0] == pytest.approx(4 * losses[1.0][1], rel=1e-5)


def test_gaussian_kl_is_the_closed_form_and_is_what_the_vae_loss_and_the_dimension_order_use():
    from ae_core.explore.sampling import dimension_order

    mu, logvar = torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[0.0, 0.0, math.log(4.0)]])
    # KL(N(m, s^2) || N(0, 1)) = (s^2 + m^2 - 1 - log s^2) / 2
    torch.testing.assert_close(gaussian_kl(mu, logvar), torch.tensor([[0.0, 0.5, (3 - math.log(4.0)) / 2]]))
    model = build_model("vae", TABLE, 4, seed=0).eval()
    x = torch.rand(5, 20)
    out = model(x)
    expected = gaussian_kl(out.mu, out.logvar)
    torch.testing.assert_close(model.loss(x, out)["kl"], expected.sum(dim=1).mean())
    order, score, name = dimension_order(model, np.zeros((5, 4)), x.numpy())
    np.testing.assert_allclose(score, expected.mean(dim=0).detach().numpy(), rtol=1e-5)
    assert name == "KL" and order.tolist() == np.argsort(-score).tolist()


def test_interpolation_linear_and_spherical():
    z0, z1 = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    line = interpolate(z0, z1, 5)
    np.testing.assert_allclose(line[[0, -1]], [z0, z1], atol=1e-6)
    arc = interpolate(z0, z1, 5, "slerp")
    np.testing.assert_allclose(np.linalg.norm(arc, axis=1), 1.0, atol=1e-6)
    assert np.linalg.norm(line[2]) < 0.8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "transformer"}, "unknown model 'transformer'; valid: linear"),
        ({"latent_dim": 0}, "latent_dim must be a positive integer"),
        ({"input_shape": (2, 8, 8)}, "1 or 3 channels"),
        ({"input_shape": (8, 8)}, "input_shape must be"),
        ({"name": "conv", "input_shape": (20,)}, "needs image input"),
        ({"depth": 3}, "unknown option(s) ['depth']"),
        ({"recon_loss": "l1"}, "recon_loss must be one of"),
        ({"recon_loss": "bce", "output": "linear"}, "needs output 'sigmoid'"),
        ({"noise": "pink"}, "noise must be one of"),
        ({"noise_level": 1.5}, "noise_level must be in [0, 1]"),
        ({"hidden_dims": (0,)}, "hidden_dims must be positive"),
        ({"activation": "swishy"}, "activation must be one of"),
        ({"name": "sparse", "sparsity": "l2"}, "sparsity must be 'kl' or 'l1'"),
        ({"name": "sparse", "sparsity_target": 1.0}, "sparsity_target must be in (0, 1)"),
        ({"name": "sparse", "code_activation": "relu"}, "needs code_activation 'sigmoid'"),
        ({"name": "denoising", "noise": "none"}, "needs a noise kind"),
        ({"name": "contractive", "contractive_weight": -1}, "contractive_weight must be >= 0"),
        ({"name": "vae", "beta": -0.5}, "beta must be >= 0"),
        ({"name": "conv", "input_shape": IMAGE, "upsample": "cubic"}, "upsample must be one of"),
        ({"name": "conv", "input_shape": IMAGE, "channels": ()}, "channels must be a non-empty list"),
    ],
)
def test_invalid_settings_name_the_bad_value(kwargs, message):
    args = {"name": "deep", "input_shape": TABLE, "latent_dim": 4} | kwargs
    name, shape, latent = args.pop("name"), args.pop("input_shape"), args.pop("latent_dim")
    with pytest.raises(ValueError) as err:
        build_model(name, shape, latent, **args)
    assert message in str(err.value)


def test_options_from_strings_as_the_cli_passes_them():
    model = build_model("deep", TABLE, 4, hidden_dims="32,16", noise_level="0.2")
    assert model.options.hidden_dims == (32, 16)
    assert model.encoder[1].out_features == 32


@pytest.mark.parametrize("upsample", ["transpose", "nearest", "bilinear"])
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 7, 9), (1, 1, 1)])
def test_conv_decoder_matches_any_image_size(upsample, shape):
    model = build_model("conv", shape, 5, upsample=upsample)
    assert model(torch.rand(2, *shape)).recon.shape == (2, *shape)


def test_a_model_prepared_for_inference_is_not_changed_by_the_batched_helpers():
    # A web server shares one loaded model between its sessions' threads: using it must not
    # rewrite its weights (e.g. converting them to channels-last) while another thread runs it.
    model = build_model("conv", input_shape=(1, 12, 12), latent_dim=4).for_inference()
    before = [p.data_ptr() for p in model.parameters()]
    model.reconstruct(np.zeros((3, 1, 12, 12), np.float32))
    model.embed(np.zeros((3, 1, 12, 12), np.float32))
    assert [p.data_ptr() for p in model.parameters()] == before and not model.training


def _model_state(model):
    """Everything the inference helpers must leave alone: each module's mode and each tensor's
    storage, memory layout and values."""
    modes = [m.training for m in model.modules()]
    tensors = [(name, t.data_ptr(), t.stride(), t.clone()) for name, t in model.state_dict().items()]
    return modes, tensors


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "in-training-mode"])
@pytest.mark.parametrize(
    ("name", "shape", "options"),
    [("conv", (1, 12, 12), {}), ("photo_denoiser", (1, 12, 12), {"depth": 3}), ("hashing", TABLE, {})],
)
def test_inference_helpers_never_change_the_model(name, shape, options, prepared):
    # A model from st.cache_resource is shared by every session's thread: its mode, weights, batch-norm
    # statistics and memory format must be the same after any inference call, prepared or not.
    model = build_model(name, shape, 4, seed=0, **options)
    if prepared:
        model.for_inference()
    modes, tensors = _model_state(model)
    x = np.random.default_rng(0).random((5, *shape), dtype=np.float32)
    codes = model.embed(x)
    model.reconstruct(x, batch_size=2)
    model.decode_numpy(codes)
    evaluate(model, x)
    after_modes, after_tensors = _model_state(model)
    assert after_modes == modes
    for (key, pointer, stride, value), (_, pointer_after, stride_after, value_after) in zip(tensors, after_tensors):
        assert (pointer_after, stride_after) == (pointer, stride), key
        torch.testing.assert_close(value_after, value, rtol=0, atol=0, msg=key)
    # Still what eval mode gives: no code noise, no batch statistics, the same answer twice.
    np.testing.assert_array_equal(model.embed(x), codes)
