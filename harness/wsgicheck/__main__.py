"""``python -m wsgicheck`` runs the command line."""

from .cli import program

program()
