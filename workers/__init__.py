"""The Celery app, created from the Flask app's settings (Flask's `celery_init_app` pattern).

`celery -A workers worker` and `celery -A workers beat` find `celery` here.
"""
from celery import Celery, Task

from core import create_app


def celery_init_app(app):
    """Tasks run inside the Flask app's context, so they use the same database and plugins."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    from . import schedule, tasks  # noqa: F401  (registers the tasks)
    with app.app_context():
        celery_app.conf.beat_schedule = schedule.build()
    return celery_app


flask_app = create_app()
celery = celery_init_app(flask_app)
