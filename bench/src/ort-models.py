"""Writes bench/ort-models/{gemm,conv}.onnx: one-node models of the bench's largest products, with every
operand an input (no weights in the file), for wasm-threads.ts's onnxruntime-web timings.
Run: .venv/bin/python bench/src/ort-models.py"""
from pathlib import Path

import onnx
from onnx import TensorProto, helper

out = Path(__file__).resolve().parent.parent / "ort-models"
out.mkdir(exist_ok=True)


def save(name, node, inputs, output):
    graph = helper.make_graph(
        [node],
        name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(output[0], TensorProto.FLOAT, output[1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out / f"{name}.onnx")


# The MLP's first Dense: 128x784 . 784x512.
save("gemm", helper.make_node("Gemm", ["a", "b"], ["y"]), [("a", [128, 784]), ("b", [784, 512])], ("y", [128, 512]))
# The CNN's second convolution, NCHW: 128x32x13x13 with 64 3x3x32 filters, valid padding.
save(
    "conv",
    helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3]),
    [("x", [128, 32, 13, 13]), ("w", [64, 32, 3, 3])],
    ("y", [128, 64, 11, 11]),
)
