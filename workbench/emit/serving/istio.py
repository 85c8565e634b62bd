"""Istio routing for the SeldonDeployment: the Seldon path with champion/challenger weights.

    /seldon/<namespace>/<model>/api/v1.0/predictions  ->  <model>-champion:8000   (weight 100)
                                                      ->  <model>-challenger:8000 (weight 0)

The prefix is rewritten to `/`, so the predictor Services (created by seldon-core, executor port
8000) see `/api/v1.0/predictions`. Destinations are short names, resolved in the
VirtualService's namespace; only the path names the namespace, and each overlay sets it.
A canary is an overlay patch of the two weights (and the challenger's replicas).
"""

from __future__ import annotations

from workbench.emit.serving import types as t
from workbench.emit.serving.options import EXECUTOR_PORT, PREDICTORS, ServingNames, ServingOptions
from workbench.emit.serving.variants import object_meta

WEIGHTS = {"champion": 100, "challenger": 0}


def gateway(names: ServingNames, options: ServingOptions) -> t.Obj:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": object_meta(names.gateway, options, names),
        "spec": {
            "selector": {"istio": options.ingress_gateway},
            "servers": [
                {
                    "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                    "hosts": list(options.hosts),
                }
            ],
        },
    }


def virtual_service(names: ServingNames, options: ServingOptions) -> t.Obj:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": object_meta(names.base, options, names),
        "spec": {
            "hosts": list(options.hosts),
            "gateways": [names.gateway],
            "http": [
                {
                    "name": "seldon-predictions",
                    "match": [{"uri": {"prefix": names.seldon_prefix(options.namespace)}}],
                    "rewrite": {"uri": "/"},
                    "route": [
                        {
                            "destination": {
                                "host": names.predictor_service(p),
                                "port": {"number": EXECUTOR_PORT},
                            },
                            "weight": WEIGHTS[p],
                        }
                        for p in PREDICTORS
                    ],
                    "timeout": "30s",
                }
            ],
        },
    }
