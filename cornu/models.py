"""`cornu.models`: Model, Sequential, saving, loading and cloning."""
from .engine.training import Model
from .engine.sequential import Sequential
from .engine.saving import model_from_config, model_from_json, model_from_yaml
from .engine.saving import save_model, load_model
from .engine.cloning import clone_model

__all__ = ['Model', 'Sequential', 'model_from_config', 'model_from_json', 'model_from_yaml',
           'save_model', 'load_model', 'clone_model']
