"""Reading callables and streams without calling them, once per function or class.

Several environ rules ask whether a stream's method or ``wsgi.file_wrapper`` can be called
with so many positional arguments. Reading a signature costs more than the rest of a rule,
and a stream's class does not change between requests: answers are kept by what decides
them (:func:`signature_basis`, :func:`class_decides`), which the exchange's environ view
also uses to describe those objects.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

__all__ = [
    "accepts",
    "class_decides",
    "method_problems",
    "signature_basis",
    "signature_key",
]


def accepts(function: Callable[..., Any], *args: object) -> bool:
    """Whether ``function`` can be called with ``args`` positionally, as far as can be told.

    A callable whose signature Python cannot read (some builtins) gets the benefit of the doubt.
    The answer is kept for the function behind it (a stream's class does not change between
    requests; reading a signature costs more than the rest of a rule).
    """
    key = signature_key(function, len(args))
    if key is not None:
        known = _accepted.get(key)
        if known is not None:
            return known
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        accepts = True
    else:
        try:
            signature.bind(*args)
        except TypeError:
            accepts = False
        else:
            accepts = True
    if key is not None:
        if len(_accepted) >= _ACCEPTED_LIMIT:
            _accepted.clear()
        _accepted[key] = accepts
    return accepts


_ACCEPTED_LIMIT = 1024
#: What :func:`accepts` answered, by :func:`signature_key`.
_accepted: dict[tuple[object, ...], bool] = {}


def signature_key(function: object, count: int) -> tuple[object, ...] | None:
    """The key :func:`accepts` keeps its answer for ``count`` arguments under: the
    callable's :func:`signature_basis` and the count. None when there is no basis."""
    basis = signature_basis(function)
    return None if basis is None else (*basis, count)


def signature_basis(function: object) -> tuple[object, ...] | None:
    """What a callable's signature is a function of, when that can be told cheaply: the
    function behind a bound method (its signature, less ``self``), the type and name of a
    builtin method, or a plain function or class itself. None for anything else."""
    kind = type(function)
    if kind is types.MethodType:
        return ("bound", function.__func__)  # type: ignore[attr-defined]
    if kind is types.BuiltinMethodType:
        owner = type(function.__self__)  # type: ignore[attr-defined]
        if issubclass(owner, types.ModuleType | type):
            return ("function", function)  # a module's function, a class's method
        return ("builtin", owner, function.__name__)  # type: ignore[attr-defined]
    if kind is types.FunctionType:
        # A closure made per request (wsgicheck's own file wrapper): binding reads only the
        # code and which parameters have defaults, unless the function names another
        # signature (__wrapped__, __signature__).
        if "__wrapped__" in function.__dict__ or "__signature__" in function.__dict__:
            return ("function", function)
        defaults = function.__defaults__  # type: ignore[attr-defined]
        keywords = function.__kwdefaults__  # type: ignore[attr-defined]
        return (
            "code",
            function.__code__,  # type: ignore[attr-defined]
            len(defaults) if defaults else 0,
            tuple(keywords) if keywords else (),
        )
    if kind is type:
        return ("function", function)
    return None


def method_problems(stream: object, methods: tuple[tuple[str, int], ...]) -> list[str]:
    """What is wrong with ``stream``'s methods: each one ``(name, positional arguments)``
    (a new list, the caller's to add to).

    Kept by the stream's type when the type alone decides it (:func:`decided_by_type`).
    """
    key = (type(stream), methods)
    by_type = decided_by_type(stream, methods)
    known = _problems_by_type.get(key)
    if known is not None and by_type:
        return list(known)
    problems = []
    for name, count in methods:
        method = getattr(stream, name, None)
        if not callable(method):
            problems.append(f"has no {name}()")
        elif not accepts(method, *([1] * count)):
            problems.append(f"{name}() does not take {count} positional argument(s)")
    if by_type:
        if len(_problems_by_type) >= _ACCEPTED_LIMIT:
            _problems_by_type.clear()
        _problems_by_type[key] = tuple(problems)
    return problems


_problems_by_type: dict[tuple[type, tuple[tuple[str, int], ...]], tuple[str, ...]] = {}


def decided_by_type(stream: object, methods: tuple[tuple[str, int], ...]) -> bool:
    """Whether :func:`method_problems` says of ``stream`` what it says of any instance of
    its type that, like it, holds none of the ``methods`` itself (so what it said of one)."""
    kind = type(stream)
    key = (kind, methods)
    how = _decided_kinds.get(key)
    if how is None:
        if not class_decides(kind, [name for name, _ in methods]):
            how = False
        else:
            how = True if not kind.__dictoffset__ else _dict_of(kind)
        if len(_decided_kinds) >= _ACCEPTED_LIMIT:
            _decided_kinds.clear()
        _decided_kinds[key] = how
    if how is True or how is False:
        return how
    own = how.__get__(stream, kind)  # the instance's plain __dict__: no code of the app's
    return type(own) is dict and (not own or not any(name in own for name, _ in methods))


#: By type and methods: False when the type does not decide them, True when its instances
#: hold no attributes of their own, else the ``__dict__`` descriptor to look in.
_decided_kinds: dict[tuple[type, tuple[tuple[str, int], ...]], Any] = {}
_CLASS_METHODS = (types.FunctionType, types.MethodDescriptorType, types.WrapperDescriptorType)


def class_decides(kind: type, names: list[str]) -> bool:
    """Whether every instance of ``kind`` that holds none of ``names`` itself has the same
    methods ``names``: attribute look-up is the default one, each name is a plain function
    (or a C method) of the class, and an instance's own attributes, if it has any, are in a
    plain ``__dict__``."""
    if _in_class(kind, "__getattribute__") is not _DEFAULT_LOOKUP:
        return False
    if kind.__dictoffset__ and _dict_of(kind) is None:
        return False
    return all(isinstance(_in_class(kind, name), _CLASS_METHODS) for name in names)


def _dict_of(kind: type) -> Any:
    """The class's ``__dict__`` descriptor when it is the plain one Python makes, else None."""
    if kind not in _dict_descriptors:
        found = _in_class(kind, "__dict__")
        plain = type(found) is types.GetSetDescriptorType
        if len(_dict_descriptors) >= _ACCEPTED_LIMIT:
            _dict_descriptors.clear()
        _dict_descriptors[kind] = found if plain else None
    return _dict_descriptors[kind]


_dict_descriptors: dict[type, Any] = {}
_DEFAULT_LOOKUP = object.__dict__["__getattribute__"]


def _in_class(kind: type, name: str) -> object:
    """What ``name`` is in the class ``kind`` (its own or inherited), None if nothing."""
    for klass in kind.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None
