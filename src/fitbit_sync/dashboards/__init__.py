"""Dashboards for the stored data: ``html`` (built in, served by ``fitbit-sync dashboard``) and
``grafana`` (provisioning files and dashboards for a Grafana of your own)."""
