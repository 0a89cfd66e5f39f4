"""flask-openapi3 files every model under its class name in components/schemas.

Two different models with one name silently overwrite each other in the
OpenAPI document, so clients and schemathesis would check the wrong shape.
Models that share a name must therefore share their schema too.
"""

import importlib
import pkgutil
from collections import defaultdict

from pydantic import BaseModel

import exam_service


def _models_by_name() -> dict[str, list[type[BaseModel]]]:
    found: dict[str, list[type[BaseModel]]] = defaultdict(list)
    for module_info in pkgutil.walk_packages(exam_service.__path__, "exam_service."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found[value.__name__].append(value)
    return found


def _shape(schema: object) -> object:
    """The schema without its prose, which may differ harmlessly."""
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in schema.items() if k not in {"title", "description"}}
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema


def test_models_sharing_a_name_share_a_schema():
    clashes = {
        name: [model.__module__ for model in models]
        for name, models in _models_by_name().items()
        if len({str(_shape(model.model_json_schema())) for model in models}) > 1
    }
    assert clashes == {}


def test_the_walk_sees_the_models_of_every_area():
    modules = {m.__module__ for models in _models_by_name().values() for m in models}
    assert {"exam_service.exam.schemas", "exam_service.authoring.schemas"} <= modules
