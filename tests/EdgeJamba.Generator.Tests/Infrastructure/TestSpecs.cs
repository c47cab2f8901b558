using Microsoft.CodeAnalysis;

namespace EdgeJamba.Generator.Tests.Infrastructure;

/// <summary>
/// Small inline specs for tests that must not depend on what ModelSpecs/ holds (determinism, caching, compiling).
/// Together they use every layer kind and every optional flag at least once.
/// </summary>
internal static class TestSpecs
{
    /// <summary>Llama: grouped-query attention with llama3 RoPE scaling (fractional parameters), biased dense FFN.</summary>
    public const string Llama = """
        {
          "name": "TestLlama",
          "family": "llama",
          "vocab_size": 64,
          "hidden_size": 32,
          "max_context": 16,
          "norm_eps": 1e-5,
          "tie_embeddings": true,
          "weight_dtype": "f32",
          "tokenizer": "sentencepiece",
          "layers": [
            {
              "repeat": 2,
              "mixer": {
                "kind": "attention", "heads": 4, "kv_heads": 2,
                "rope": { "type": "llama3", "theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192 }
              },
              "ffn": { "kind": "dense", "intermediate_size": 64, "activation": "silu", "bias": true }
            }
          ]
        }
        """;

    /// <summary>Mixtral: biased attention with default RoPE, renormalized top-2 MoE with relu2.</summary>
    public const string Mixtral = """
        {
          "name": "TestMixtral",
          "family": "mixtral",
          "vocab_size": 48,
          "hidden_size": 24,
          "max_context": 12,
          "norm_eps": 0.00001,
          "layers": [
            {
              "mixer": { "kind": "attention", "heads": 3, "head_dim": 6, "bias": true, "rope": { "theta": 1000000.0 } },
              "ffn": { "kind": "moe", "experts": 4, "top_k": 2, "renormalize": true, "intermediate_size": 40, "activation": "relu2" }
            }
          ]
        }
        """;

    /// <summary>Mamba-1: two identical blocks, projection biases on, conv bias off.</summary>
    public const string Mamba = """
        {
          "name": "TestMamba",
          "family": "mamba",
          "vocab_size": 40,
          "hidden_size": 16,
          "max_context": 32,
          "norm_eps": 1e-5,
          "tokenizer": "bytes",
          "layers": [
            {
              "repeat": 2,
              "mixer": { "kind": "mamba", "d_inner": 32, "d_state": 16, "d_conv": 4, "dt_rank": 1, "conv_bias": false, "proj_bias": true },
              "ffn": { "kind": "none" }
            }
          ]
        }
        """;

    /// <summary>Jamba: a Mamba layer with dt/B/C norms and un-renormalized MoE, then attention without RoPE and a gelu FFN.</summary>
    public const string Jamba = """
        {
          "name": "TestJamba",
          "family": "jamba",
          "vocab_size": 64,
          "hidden_size": 32,
          "max_context": 16,
          "norm_eps": 1e-6,
          "tokenizer": "bpe",
          "layers": [
            {
              "mixer": { "kind": "mamba", "d_inner": 64, "d_state": 8, "d_conv": 4, "dt_rank": 2, "dt_bc_norms": true },
              "ffn": { "kind": "moe", "experts": 4, "top_k": 2, "renormalize": false, "intermediate_size": 48 }
            },
            {
              "mixer": { "kind": "attention", "heads": 4, "kv_heads": 1, "rope": null },
              "ffn": { "kind": "dense", "intermediate_size": 64, "activation": "gelu" }
            }
          ]
        }
        """;

    /// <summary>HF xLSTM: mLSTM "large" blocks (qk_dim below v_dim), SwiGLU FFN, soft-capped logits.</summary>
    public const string Xlstm = """
        {
          "name": "TestXlstm",
          "family": "xlstm",
          "vocab_size": 48,
          "hidden_size": 32,
          "max_context": 64,
          "norm_eps": 1e-6,
          "logit_soft_cap": 30,
          "layers": [
            {
              "repeat": 2,
              "mixer": { "kind": "mlstm", "variant": "large", "heads": 2, "qk_dim": 16, "v_dim": 32, "gate_soft_cap": 15, "eps": 1e-6 },
              "ffn": { "kind": "dense", "intermediate_size": 64 }
            }
          ]
        }
        """;

    /// <summary>NX-AI xLSTM: 1 + w LayerNorms; an mLSTM block without FFN, an sLSTM block (vanilla layout) with a fused gelu FFN, one without conv.</summary>
    public const string XlstmNxai = """
        {
          "name": "TestXlstmNxai",
          "family": "xlstm-nxai",
          "vocab_size": 40,
          "hidden_size": 16,
          "max_context": 64,
          "norm_eps": 1e-5,
          "norm": "layernorm1p",
          "layers": [
            {
              "mixer": { "kind": "mlstm", "variant": "nxai", "heads": 2, "inner_size": 32, "conv_kernel": 4, "qkv_blocksize": 4 },
              "ffn": { "kind": "none" }
            },
            {
              "mixer": { "kind": "slstm", "heads": 4, "conv_kernel": 4, "backend": "vanilla" },
              "ffn": { "kind": "dense", "intermediate_size": 32, "activation": "gelu", "fused_gate_up": true }
            },
            {
              "mixer": { "kind": "slstm", "heads": 2, "conv_kernel": 0 },
              "ffn": { "kind": "none" }
            }
          ]
        }
        """;

    /// <summary>All six, as spec files named after the family.</summary>
    public static IReadOnlyList<AdditionalText> All() =>
    [
        GeneratorHarness.Spec("llama.model.json", Llama),
        GeneratorHarness.Spec("mixtral.model.json", Mixtral),
        GeneratorHarness.Spec("mamba.model.json", Mamba),
        GeneratorHarness.Spec("jamba.model.json", Jamba),
        GeneratorHarness.Spec("xlstm.model.json", Xlstm),
        GeneratorHarness.Spec("xlstm-nxai.model.json", XlstmNxai),
    ];
}
