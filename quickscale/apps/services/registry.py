from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

from quickscale.apps.services.base import BaseService
from quickscale.conf import app_settings


class ServiceRegistry:
    def __init__(self) -> None:
        self._services: dict[str, BaseService] = {}

    def register(self, service_class: type[BaseService]) -> type[BaseService]:
        name = service_class.name
        existing = self._services.get(name)
        if existing is not None and type(existing) is not service_class:
            raise ValueError(
                f"Two services are named {name!r}: {type(existing)} and {service_class}"
            )
        self._services[name] = service_class()
        return service_class

    def get(self, name: str) -> BaseService | None:
        return self._services.get(name)

    def __iter__(self) -> Iterator[BaseService]:
        return iter(sorted(self._services.values(), key=lambda service: service.name))

    def autodiscover(self) -> None:
        for module_name in app_settings.SERVICE_MODULES:
            module = importlib.import_module(module_name)
            if hasattr(module, "__path__"):
                for found in pkgutil.iter_modules(module.__path__, prefix=f"{module_name}."):
                    importlib.import_module(found.name)


registry = ServiceRegistry()


def register(service_class: type[BaseService]) -> type[BaseService]:
    """Class decorator: make the service available to the API."""
    return registry.register(service_class)
