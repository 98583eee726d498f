"""masseur: a hands-free voice guide for foot and leg self-massage."""

__version__ = "0.1.0"
