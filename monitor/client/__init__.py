"""The client's calm-place view as plain models, without Qt: the scene that warms as the client
settles (:mod:`monitor.client.calm_scene`) and the breathing pacer (:mod:`monitor.client.pacer`).
The Qt window that draws them is :mod:`monitor.ui.client` (docs/architecture.md, "The rooms")."""
