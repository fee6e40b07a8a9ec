"""The keras.io convolutional VAE example (Chollet, "Variational AutoEncoder", 2020) as a
timed run: run it with an interpreter that has TensorFlow (an optional benchmark
dependency, never in CI); benchmarks/conv_speed.py starts it and reads its lines.

Written from the example's description, in its own terms: a Sampling layer, a functional
encoder (conv 3x3/2 32 -> conv 3x3/2 64 -> flatten -> dense 16 -> z_mean, z_log_var, z)
and decoder (dense 7*7*64 -> convT 64 -> convT 32 -> conv 1, sigmoid), and a keras.Model
whose train_step sums binary cross-entropy over the pixels, adds the KL, and applies Adam's
gradients; `fit(x, epochs, batch_size=128)`. Each epoch prints one JSON line: seconds and
the mean training loss terms (nats per image). With `--on-request` it runs one epoch per
line read from stdin: conv_speed.py alternates these epochs with PyTorch's.

    /path/to/tf/python benchmarks/keras_vae_example.py --npz mnist.npz --epochs 5
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def build(keras, tf):
    layers = keras.layers

    class Sampling(layers.Layer):
        def call(self, inputs):
            z_mean, z_log_var = inputs
            eps = keras.random.normal(shape=tf.shape(z_mean))
            return z_mean + tf.exp(0.5 * z_log_var) * eps

    inputs = keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inputs)
    h = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(h)
    h = layers.Dense(16, activation="relu")(layers.Flatten()(h))
    z_mean, z_log_var = layers.Dense(2)(h), layers.Dense(2)(h)
    encoder = keras.Model(inputs, [z_mean, z_log_var, Sampling()([z_mean, z_log_var])])

    latent = keras.Input(shape=(2,))
    h = layers.Reshape((7, 7, 64))(layers.Dense(7 * 7 * 64, activation="relu")(latent))
    h = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(h)
    h = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(h)
    outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(h)
    decoder = keras.Model(latent, outputs)

    class VAE(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = encoder, decoder
            self.trackers = [keras.metrics.Mean(name=n) for n in ("loss", "rec", "kl")]

        @property
        def metrics(self):
            return self.trackers

        def train_step(self, data):
            with tf.GradientTape() as tape:
                z_mean, z_log_var, z = self.encoder(data)
                reconstruction = self.decoder(z)
                rec = tf.reduce_mean(tf.reduce_sum(
                    keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
                kl = -0.5 * (1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var))
                kl = tf.reduce_mean(tf.reduce_sum(kl, axis=1))
                total = rec + kl
            grads = tape.gradient(total, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            for tracker, value in zip(self.trackers, (total, rec, kl)):
                tracker.update_state(value)
            return {t.name: t.result() for t in self.trackers}

    vae = VAE()
    vae.compile(optimizer=keras.optimizers.Adam())  # learning rate 1e-3, Keras' default
    return vae


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npz", required=True, help=".npz with x: (N, 28, 28) uint8")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="0: TensorFlow's default")
    parser.add_argument("--on-request", action="store_true",
                        help="run one epoch per line read from stdin (until it closes)")
    args = parser.parse_args()
    import numpy as np
    import tensorflow as tf
    from tensorflow import keras

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    with np.load(args.npz, allow_pickle=False) as f:
        x = np.expand_dims(f["x"], -1).astype("float32") / 255.0
    vae = build(keras, tf)

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            print(json.dumps({"epoch": epoch + 1, "seconds": time.perf_counter() - self.started,
                              "loss": float(logs["loss"]), "reconstruction": float(logs["rec"]),
                              "kl": float(logs["kl"])}), flush=True)

    print(json.dumps({"tensorflow": tf.__version__, "keras": keras.__version__}), flush=True)
    if not args.on_request:
        vae.fit(x, epochs=args.epochs, batch_size=128, verbose=0, callbacks=[Timer()])
        return 0
    # One epoch per line read from stdin, so that the caller can alternate these epochs
    # with its own; fit() continues training (weights and Adam's state are kept).
    for epoch, _ in enumerate(sys.stdin):
        vae.fit(x, epochs=epoch + 1, initial_epoch=epoch, batch_size=128, verbose=0,
                callbacks=[Timer()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
