"""The two Nova exceptions the interop test throws, shaped like nova.exception's."""


class NovaException(Exception):
    msg_fmt = "An unknown exception occurred."
    code = 500

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        self.kwargs.setdefault('code', self.code)
        if not message:
            message = self.msg_fmt % kwargs
        self.message = message
        super().__init__(message)


class InstanceNotFound(NovaException):
    msg_fmt = "Instance %(instance_id)s could not be found."
    code = 404
