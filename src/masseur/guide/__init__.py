"""masseur's visual guide: drawings of where to work, and the guide as an HTML page or a PDF."""
