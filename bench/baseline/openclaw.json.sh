# Sourced by provision-*.sh with n, u, id, port, home and token set; prints openclaw.json.
cat <<JSON
{
  "version": 1,
  "tenant": "$n",
  "gateway": {
    "bind": "loopback",
    "port": $port,
    "auth": {
      "mode": "token",
      "token": "$token"
    },
    "controlUi": {
      "enabled": false
    },
    "reload": {
      "mode": "hybrid"
    }
  },
  "agents": {
    "defaults": {
      "workspace": "$home/.openclaw/workspace-main",
      "model": "local/fake-model-1",
      "timeoutSeconds": 600
    },
    "list": [
      {
        "id": "main",
        "default": true,
        "workspace": "$home/.openclaw/workspace-main"
      }
    ]
  },
  "session": {
    "scope": "per-sender",
    "store": "$home/.openclaw/sessions"
  },
  "logging": {
    "level": "info",
    "file": "$home/.openclaw/logs/gateway.log"
  },
  "tools": {
    "profile": "coding"
  },
  "meta": {
    "uid": $id,
    "user": "mc-$n",
    "managedBy": "baseline"
  }
}
JSON
