"""The public home of ``wsgicheck.target``, which users and generated reproducers
import; the code lives in ``wsgicheck.drivers.target``."""

from .drivers.target import *  # noqa: F403
from .drivers.target import __all__ as __all__
