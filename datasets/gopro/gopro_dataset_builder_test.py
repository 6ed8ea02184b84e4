"""gopro dataset."""

import tensorflow_datasets as tfds

from . import gopro_dataset_builder


class GoproTest(tfds.testing.DatasetBuilderTestCase):
    """Both configs, from the extracted GOPRO_Large/ layout in dummy_data/."""

    DATASET_CLASS = gopro_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["blur", "blur_gamma"]
    SPLITS = {
        "train": 3,  # GOPR0372_07_00: 2 frames, GOPR0374_11_00: 1 frame
        "test": 2,  # GOPR0384_11_00: 2 frames
    }


class GoproArchiveTest(tfds.testing.DatasetBuilderTestCase):
    """The manual GOPRO_Large.zip (here a tiny archive of the same dummy frames) is extracted and read."""

    DATASET_CLASS = gopro_dataset_builder.Builder
    EXAMPLE_DIR = str(gopro_dataset_builder.Builder.code_path.parent / "dummy_data" / "archive")
    BUILDER_CONFIG_NAMES_TO_TEST = ["blur"]
    SPLITS = {
        "train": 3,
        "test": 2,
    }


if __name__ == "__main__":
    tfds.testing.test_main()
