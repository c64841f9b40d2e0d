"""Load the configured matcher and liveness implementations ("module:Class" import paths)."""

from __future__ import annotations

import importlib
from typing import Any

from onevisit.core.config import VerificationConfig
from onevisit.verification.errors import HookError


def load_class(path: str, what: str) -> type:
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise HookError(
            "verification_hook",
            "人脸核验组件配置有误，请联系技术人员",
            f"verification.{what} must look like 'package.module:ClassName', got {path!r}",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HookError(
            "verification_hook",
            "人脸核验组件配置有误，请联系技术人员",
            f"verification.{what}: cannot import module {module_name!r} ({exc})",
        ) from None
    target = getattr(module, attr, None)
    if not isinstance(target, type):
        raise HookError(
            "verification_hook",
            "人脸核验组件配置有误，请联系技术人员",
            f"verification.{what}: {module_name!r} has no class {attr!r}",
        )
    return target


def _build(path: str, what: str, config: VerificationConfig, required: tuple[str, ...]) -> Any:
    cls = load_class(path, what)
    instance = cls(config)
    missing = [m for m in required if not callable(getattr(instance, m, None))]
    if missing:
        raise HookError(
            "verification_hook",
            "人脸核验组件配置有误，请联系技术人员",
            f"verification.{what}: {path} lacks {', '.join(missing)}()",
        )
    return instance


def build_matcher(config: VerificationConfig) -> Any:
    return _build(config.matcher, "matcher", config, ("verify",))


def build_liveness(config: VerificationConfig) -> Any:
    return _build(config.liveness, "liveness", config, ("begin", "feed"))
