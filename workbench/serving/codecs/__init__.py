"""Protocol codecs: pure functions from a parsed JSON body to an input matrix, and from
predictions to a response body. No I/O, no framework: the app calls them, the tests call them."""

from workbench.serving.codecs.common import Batch, Predictions, ProtocolError

__all__ = ["Batch", "Predictions", "ProtocolError"]
