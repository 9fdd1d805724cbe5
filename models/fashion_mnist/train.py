# Trains tinyaot's bundled Fashion-MNIST CNN and exports it as ONNX plus reference test data.
# Regenerate with: /usr/bin/python3 models/fashion_mnist/train.py  (CI does not run this script.)
"""Train the default tinyaot model-zoo CNN on Fashion-MNIST and export it.

Outputs (written next to this script unless --out-dir is given):
  model.onnx                       opset 13, batch fixed at 1, input "input", output "logits"
  test_data_set_{0,1,2}/input_0.pb  first three t10k images as onnx TensorProto named "input"
  test_data_set_{0,1,2}/output_0.pb torch float32 logits as onnx TensorProto named "logits"
  sample_input.bin                 raw little-endian float32 of t10k image 0 (784 floats)
  sample_label.txt                 true label index and class name of t10k image 0
  classes.txt                      class names, one per line, in label-index order

Input normalization: pixels are uint8 in [0, 255] and are fed as float32 pixel/255,
so the model input lies in [0, 1]. No mean/std shift is applied, which keeps the
preprocessing trivial on a microcontroller.
"""

import argparse
import gzip
import os
import random
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
SEED = 20240501
EPOCHS = 10
BATCH_SIZE = 64
LEARNING_RATE = 3e-3
OPSET = 13
NUM_TEST_CASES = 3
MIN_ACCURACY = 0.89


def load_idx_images(path):
    """Read an IDX3 image file into a uint8 array of shape [N, 28, 28]."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    # The header is big-endian; checking the magic number catches a swapped or corrupt file early.
    magic, count, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    assert magic == 2051, f"{path}: bad IDX3 magic {magic}"
    images = np.frombuffer(data[16:], dtype=np.uint8)
    return images.reshape(count, rows, cols)


def load_idx_labels(path):
    """Read an IDX1 label file into a uint8 array of shape [N]."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = np.frombuffer(data[:8], dtype=">u4")
    assert magic == 2049, f"{path}: bad IDX1 magic {magic}"
    labels = np.frombuffer(data[8:], dtype=np.uint8)
    assert labels.shape[0] == count
    return labels


def to_model_input(images_u8):
    """Convert uint8 images [N, 28, 28] to the model's float32 [N, 1, 28, 28] input in [0, 1]."""
    return (images_u8.astype(np.float32) / np.float32(255.0))[:, None, :, :]


class FashionCNN(nn.Module):
    """Small CNN sized for microcontrollers (9,114 parameters, about 36 KiB as float32).

    The largest activation is the 8x28x28 float32 map after the first convolution
    (24.5 KiB); the second convolution produces 16x14x14 (12.25 KiB) and everything
    after the second pooling is under 4 KiB, so the network fits comfortably in the
    RAM of a Cortex-M4 class device.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        # The BatchNormalization layer is kept deliberately: it costs only 16 parameters and
        # gives the compiler's Conv+BN folding pass a real model to work on.
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        # nn.Flatten exports as a single ONNX Flatten node instead of Shape/Gather/Reshape chains.
        return self.fc(self.flatten(x))


def seed_everything(seed):
    """Make training bit-reproducible on a given machine and thread count."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # A fixed thread count matters because the reduction order inside CPU kernels,
    # and therefore the floating-point result, can depend on how work is split.
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)


def evaluate(model, x, y, batch_size=1000):
    """Return classification accuracy of model on tensors x, y."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch_size):
            logits = model(x[i:i + batch_size])
            correct += (logits.argmax(dim=1) == y[i:i + batch_size]).sum().item()
    return correct / x.shape[0]


def train(model, x_train, y_train):
    """Train with Adam and a one-cycle schedule, which converges well within a few epochs."""
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    steps_per_epoch = (x_train.shape[0] + BATCH_SIZE - 1) // BATCH_SIZE
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=LEARNING_RATE, epochs=EPOCHS, steps_per_epoch=steps_per_epoch)
    # A dedicated generator keeps the shuffling order independent of any other RNG use.
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        start = time.time()
        order = torch.randperm(x_train.shape[0], generator=generator)
        total_loss = 0.0
        for i in range(0, x_train.shape[0], BATCH_SIZE):
            idx = order[i:i + BATCH_SIZE]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * idx.shape[0]
        print(f"epoch {epoch + 1}/{EPOCHS}: train loss {total_loss / x_train.shape[0]:.4f} "
              f"({time.time() - start:.1f}s)", flush=True)


def save_tensor(array, name, path):
    """Serialize a numpy array as an ONNX TensorProto, as the ONNX backend test layout expects."""
    tensor = numpy_helper.from_array(array, name=name)
    with open(path, "wb") as f:
        f.write(tensor.SerializeToString())


def export(model, out_dir, test_images, test_labels):
    """Write model.onnx, the backend-style test cases and the sample files."""
    model.eval()
    model_path = os.path.join(out_dir, "model.onnx")
    dummy = torch.zeros(1, 1, 28, 28, dtype=torch.float32)
    # TrainingMode.PRESERVE (with the model in eval mode) still exports inference semantics,
    # but skips torch's eval-mode peephole pass that would silently fuse BatchNormalization
    # into the preceding Conv; we want the folding to be the compiler's job.
    torch.onnx.export(
        model, dummy, model_path,
        export_params=True,
        opset_version=OPSET,
        # Nothing in this graph is foldable, and torch warns that constant folding is unsafe
        # when combined with TrainingMode.PRESERVE, so it is switched off.
        do_constant_folding=False,
        training=torch.onnx.TrainingMode.PRESERVE,
        input_names=["input"],
        output_names=["logits"],
    )
    onnx_model = onnx.load(model_path)
    onnx.checker.check_model(onnx_model, full_check=True)
    ops = sorted({node.op_type for node in onnx_model.graph.node})
    print(f"exported {model_path} ({os.path.getsize(model_path)} bytes), ops: {', '.join(ops)}")

    # The expected outputs come from torch, not from the exported graph, so they act as an
    # independent reference for any ONNX consumer, including tinyaot itself.
    inputs = to_model_input(test_images[:NUM_TEST_CASES])
    with torch.no_grad():
        for i in range(NUM_TEST_CASES):
            x = inputs[i:i + 1]
            logits = model(torch.from_numpy(x)).numpy().astype(np.float32)
            case_dir = os.path.join(out_dir, f"test_data_set_{i}")
            os.makedirs(case_dir, exist_ok=True)
            save_tensor(x, "input", os.path.join(case_dir, "input_0.pb"))
            save_tensor(logits, "logits", os.path.join(case_dir, "output_0.pb"))
            print(f"test_data_set_{i}: label {test_labels[i]} ({CLASSES[test_labels[i]]}), "
                  f"predicted {int(logits.argmax())} ({CLASSES[int(logits.argmax())]})")

    # An explicit '<f4' dtype pins little-endian byte order regardless of the host.
    inputs[0].astype("<f4").tofile(os.path.join(out_dir, "sample_input.bin"))
    with open(os.path.join(out_dir, "sample_label.txt"), "w") as f:
        f.write(f"{int(test_labels[0])} {CLASSES[int(test_labels[0])]}\n")
    with open(os.path.join(out_dir, "classes.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)),
                        help="where to write the model and test data (default: next to this script)")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    seed_everything(SEED)

    train_images = load_idx_images(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz"))
    train_labels = load_idx_labels(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz"))
    test_images = load_idx_images(os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz"))
    test_labels = load_idx_labels(os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz"))

    x_train = torch.from_numpy(to_model_input(train_images))
    y_train = torch.from_numpy(train_labels.astype(np.int64))
    x_test = torch.from_numpy(to_model_input(test_images))
    y_test = torch.from_numpy(test_labels.astype(np.int64))

    model = FashionCNN()
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    start = time.time()
    train(model, x_train, y_train)
    accuracy = evaluate(model, x_test, y_test)
    print(f"test accuracy: {accuracy * 100:.2f}% (training took {time.time() - start:.0f}s)")
    # Refusing to export a weak model prevents an accidental regression from being committed.
    if accuracy < MIN_ACCURACY:
        raise SystemExit(f"test accuracy {accuracy:.4f} is below the required {MIN_ACCURACY}")

    export(model, args.out_dir, test_images, test_labels)


if __name__ == "__main__":
    main()
