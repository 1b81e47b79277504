"""Planted plausible mistakes for project3: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "project3-gram": [
        ("    return gram / tf.cast(shape[1] * shape[2], tf.float32)\n", "    return gram\n",
         "Gram matrix not normalized by the number of positions H*W"),
        ("tf.matmul(flat, flat, transpose_a=True)", "tf.matmul(flat, flat, transpose_b=True)",
         "transposed Gram: positions x positions (F F^T) instead of channels x channels (F^T F)"),
        ("tf.reshape(features, [shape[0], shape[1] * shape[2], shape[3]])", "tf.reshape(features, [-1, shape[3]])",
         "flattened the batch into the positions: one Gram matrix for the whole batch"),
    ],
    "project3-content-loss": [
        ("tf.reduce_mean(tf.square(generated - target))", "tf.reduce_sum(tf.square(generated - target))",
         "summed the squared differences instead of averaging them"),
        ("tf.square(generated - target)", "tf.abs(generated - target)",
         "mean absolute difference instead of mean squared difference"),
    ],
    "project3-style-loss": [
        ("return tf.add_n(losses) / len(losses)", "return tf.add_n(losses)",
         "summed the layer losses instead of averaging them over the layers"),
        ("for f, g in zip(generated_features, target_grams)]", "for f, g in zip(generated_features[:1], target_grams[:1])]",
         "only the first style layer counts"),
        ("tf.square(gram_matrix(f) - tf.cast(g, tf.float32))", "tf.abs(gram_matrix(f) - tf.cast(g, tf.float32))",
         "absolute instead of squared Gram differences"),
    ],
    "project3-tv-loss": [
        (" + tf.reduce_mean(tf.square(horizontal))", "",
         "total variation along one axis only"),
        ("horizontal = image[:, :, 1:, :] - image[:, :, :-1, :]", "horizontal = image[:, 1:, :, :] - image[:, :-1, :, :]",
         "copy-paste: both differences taken along the rows"),
        ("tf.reduce_mean(tf.square(vertical))", "tf.reduce_sum(tf.square(vertical)) / tf.cast(tf.size(image), tf.float32)",
         "divided by the number of pixels instead of the number of vertical differences"),
    ],
    "project3-total-loss": [
        ("return style_weight * s_loss + content_weight * c_loss",
         "return content_weight * s_loss + style_weight * c_loss",
         "swapped the style and content weights"),
        (" + tv_weight * total_variation_loss(image)", "",
         "forgot the total-variation term"),
        ("c_loss = tf.add_n(c_losses) / len(c_losses)", "c_loss = tf.add_n(c_losses)",
         "summed the content losses over layers instead of averaging them"),
    ],
    "project3-train-step": [
        ("optimizer.apply_gradients([(grad, image)])", "optimizer.apply_gradients([(-grad, image)])",
         "gradient ascent: the step increases the loss"),
        ("    image.assign(tf.clip_by_value(image, 0.0, 1.0))\n", "",
         "no clipping: pixels leave the valid range [0, 1]"),
        ("    return loss\n", "    return loss_fn(image)\n",
         "returned the loss after the step instead of the one the gradient was computed from"),
    ],
}
