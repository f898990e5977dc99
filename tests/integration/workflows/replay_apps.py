"""Two deploys of one app for the replay tests: ``two_steps``, and ``swapped`` where a
careless edit reordered two calls of one function."""

from __future__ import annotations

from baas.application import App
from tests.integration.workflows.long_workflows import TwoStepsSwappedWorkflow, TwoStepsWorkflow
from tests.integration.workflows.sample_functions import record_step

two_steps = App("steps")
two_steps.function(record_step)
two_steps.workflow(TwoStepsWorkflow)

swapped = App("steps")
swapped.function(record_step)
swapped.workflow(TwoStepsSwappedWorkflow)
