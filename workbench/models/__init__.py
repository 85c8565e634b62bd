"""The model store: serialized model files with their sha256, checked before every unpickling."""

from workbench.models.store import load_model_file, model_uri, read_model_record, write_model_file

__all__ = ["load_model_file", "model_uri", "read_model_record", "write_model_file"]
