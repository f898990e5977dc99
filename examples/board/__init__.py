"""A shared task board: the example application ``make run`` starts.

Models, functions and workflows are added here as baas grows; the App is the anchor
everything attaches to.
"""

from baas.application import App

app = App("board")
