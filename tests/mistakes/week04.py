"""Planted plausible mistakes for week04: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week04-augment": [
        ('keras.layers.RandomFlip("horizontal")', 'keras.layers.RandomFlip("horizontal_and_vertical")',
         "flips upside down too: not a label-preserving transformation for these photos"),
        ('keras.layers.RandomTranslation(max_shift, max_shift, fill_mode="constant")',
         "keras.layers.RandomTranslation(max_shift, max_shift)",
         "kept the default fill mode ('reflect'): mirrored garment pieces at the borders"),
        ('keras.layers.RandomZoom(max_zoom, fill_mode="constant")', 'keras.layers.RandomZoom(max_shift, fill_mode="constant")',
         "passed the shift factor to the zoom"),
    ],
    "week04-feature-extraction": [
        ("features = base(inputs, training=False)", "features = base(inputs)",
         "forgot training=False: BatchNorm uses batch statistics (and updates them) while the head trains"),
        ("base.trainable = False", "base.trainable = True",
         "left the base trainable: the whole network trains, not just the head"),
    ],
    "week04-unfreeze": [
        ("""    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False""", "",
         "forgot to keep the BatchNormalization layers frozen"),
        ("for layer in base.layers[:-n_layers]:", "for layer in base.layers[:n_layers]:",
         "froze the first n layers instead of all but the last n"),
        ("base.trainable = True\n", "",
         "never made the base trainable again: with base.trainable False nothing trains"),
    ],
    "week04-feature-maps": [
        ("outputs = [model.get_layer(name).output for name in layer_names]",
         "outputs = [model.get_layer(name).input for name in layer_names]",
         "took each layer's input instead of its output"),
        ("return keras.Model(inputs=model.inputs, outputs=outputs)", "return keras.Model(inputs=model.inputs, outputs=outputs[-1])",
         "returned only the last requested layer"),
    ],
    "week04-saliency": [
        ("return tf.reduce_max(tf.abs(grads), axis=-1).numpy()", "return tf.reduce_max(grads, axis=-1).numpy()",
         "forgot the absolute value: negative evidence disappears"),
        ("logits = model(x, training=False)", "logits = tf.nn.softmax(model(x, training=False))",
         "differentiated the softmax probability instead of the logit"),
        ("tf.reduce_max(tf.abs(grads), axis=-1)", "tf.reduce_sum(tf.abs(grads), axis=-1)",
         "summed over the channels instead of taking the maximum"),
    ],
    "week04-gradcam": [
        ("cam = tf.nn.relu(tf.reduce_sum(alpha * feature_maps, axis=-1))", "cam = tf.reduce_sum(alpha * feature_maps, axis=-1)",
         "forgot the ReLU: negative evidence is kept"),
        ("alpha = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)", "alpha = tf.reduce_mean(grads, axis=(0, 1, 2), keepdims=True)",
         "averaged the gradients over the batch too: one set of weights for all images and classes"),
        ("cam = cam / (tf.reduce_max(cam, axis=(1, 2), keepdims=True) + 1e-8)", "cam = cam / (tf.reduce_max(cam) + 1e-8)",
         "scaled all maps by the batch's maximum instead of each map by its own"),
    ],
    "week04-iou": [
        ("return inter / (area_a + area_b - inter)", "return inter / (area_a + area_b)",
         "union counted the intersection twice"),
        ("inter = np.clip(y1 - y0, 0, None) * np.clip(x1 - x0, 0, None)", "inter = (y1 - y0) * (x1 - x0)",
         "no clipping: disjoint boxes get a (negative or even positive) overlap"),
        ("y0 = np.maximum(boxes_a[:, 0], boxes_b[:, 0])", "y0 = np.minimum(boxes_a[:, 0], boxes_b[:, 0])",
         "min instead of max for the top edge of the intersection"),
    ],
}
