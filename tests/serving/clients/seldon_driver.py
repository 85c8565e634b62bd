"""Run inside the seldon-core 1.x venv: drive a server with SeldonClient's microservice calls.

stdin: {"endpoint": "127.0.0.1:PORT", "rows": [[...]], "columns": [...]};
stdout (last line): JSON of what the client saw.
"""

import json
import sys

import numpy as np
from seldon_core.seldon_client import SeldonClient
from seldon_core.utils import seldon_message_to_json


def main() -> None:
    args = json.load(sys.stdin)
    client = SeldonClient(microservice_endpoint=args["endpoint"])
    x = np.asarray(args["rows"], dtype=np.float64)
    out = {}
    last = None
    for payload in ("ndarray", "tensor"):
        result = client.microservice(
            data=x, method="predict", payload_type=payload, names=args["columns"]
        )
        out[payload] = {
            "success": result.success,
            "msg": result.msg,
            "response": seldon_message_to_json(result.response) if result.response else None,
        }
        last = result
    feedback = client.microservice_feedback(
        prediction_request=last.request, prediction_response=last.response, reward=1.0
    )
    out["feedback"] = {"success": feedback.success, "msg": feedback.msg}
    bad = client.microservice(data=np.zeros((1, 3)), method="predict", payload_type="ndarray")
    out["malformed"] = {
        "success": bad.success,
        "response": seldon_message_to_json(bad.response) if bad.response else None,
    }
    print(json.dumps(out))


main()
