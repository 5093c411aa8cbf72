# Archives of decommissioned tenants, e.g. to check they exist before a
# retention job purges old ones.
data "missioncontrol_archives" "acme" {
  tenant = "acme"
}

output "acme_archives" {
  value = [for a in data.missioncontrol_archives.acme.archives : "${a.path} sha256:${a.sha256}"]
}
