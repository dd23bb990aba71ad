"""The public home of ``wsgicheck.strategies``, which users and generated reproducers
import; the code lives in ``wsgicheck.explore.strategies``."""

from .explore.strategies import *  # noqa: F403
from .explore.strategies import __all__ as __all__
