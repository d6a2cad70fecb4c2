# A three-node Tile38 cluster on Nomad: each allocation runs a Tile38
# server and its tile38-cluster-manager, which elect a leader through
# Consul and serve clients over Connect mTLS.
#
#	nomad job run contrib/nomad/tile38-cluster.nomad
#
# The job registers the two Connect-native services of every node itself,
# as the Go original's documentation did, so the manager runs with
# SERVICE_MANAGE=false.  Both services carry meta.id = the manager's
# SERVICE_ID (here the allocation id): that is how managers find each
# other's addresses in the catalog.
#
# Consul intentions (Connect denies by default).  Clients connect to the
# writer service to write and to the reader service to read, and the
# managers of different nodes dial each other with the identity of the
# service they dial: writes and replication (bridge) go from a node's
# writer to the leader's writer, reads on the leader go to a follower's
# reader.  With Consul 1.8's CLI, for a client service named "app":
#
#	consul intention create -allow app tile38-writer
#	consul intention create -allow app tile38-reader
#	consul intention create -allow tile38-writer tile38-writer
#	consul intention create -allow tile38-reader tile38-reader
#
# The manager's image is built with contrib/docker/Dockerfile.  It runs as
# the non-root user tile38cm, so it drops no privileges itself; the
# container is its sandbox.

job "tile38-cluster" {
  datacenters = ["dc1"]
  type        = "service"

  update {
    # One node at a time: every restart of the leader is a switchover.
    max_parallel     = 1
    min_healthy_time = "15s"
    healthy_deadline = "3m"
  }

  group "tile38" {
    count = 3

    # Never two nodes of the cluster on one machine.
    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }

    # The server's data survives a restart or an update of the allocation.
    ephemeral_disk {
      size    = 1024
      sticky  = true
      migrate = true
    }

    # Host networking: the managers advertise the node's address, and
    # their peers dial it directly (Connect native, no sidecar proxy).
    network {
      port "writer" {}
      port "reader" {}
      # The local server: the manager talks to it on loopback only.
      port "tile38" {}
      # The manager's admin HTTP listener (/health, /leader, /replica).
      port "http" {}
    }

    service {
      name = "tile38-writer"
      port = "writer"
      task = "manager"

      connect {
        native = true
      }

      meta {
        id = "${NOMAD_ALLOC_ID}"
      }

      # The admin listener, not the mTLS port: a TCP check there works
      # too but logs a failed TLS handshake every interval.
      check {
        name           = "tile38-cluster-manager health"
        type           = "http"
        port           = "http"
        path           = "/health"
        interval       = "5s"
        timeout        = "2s"
        initial_status = "warning"
      }
    }

    service {
      name = "tile38-reader"
      port = "reader"
      task = "manager"

      connect {
        native = true
      }

      meta {
        id = "${NOMAD_ALLOC_ID}"
      }

      check {
        name           = "tile38-cluster-manager health"
        type           = "http"
        port           = "http"
        path           = "/health"
        interval       = "5s"
        timeout        = "2s"
        initial_status = "warning"
      }
    }

    task "server" {
      driver = "docker"

      config {
        image        = "tile38/tile38:1.32.0"
        network_mode = "host"
        command      = "tile38-server"
        # Loopback only: clients reach it through the manager's mTLS
        # listeners.  /alloc is the group's sticky ephemeral disk.
        args = [
          "-h", "127.0.0.1",
          "-p", "${NOMAD_PORT_tile38}",
          "-d", "/alloc/data/tile38",
        ]
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }

    task "manager" {
      driver = "docker"

      # Stopping a leader hands over to a caught-up follower first
      # (election.handover.timeout, 5s) within shutdown.timeout (15s).
      kill_signal  = "SIGTERM"
      kill_timeout = "30s"

      config {
        image        = "tile38-cluster-manager:latest"
        network_mode = "host"
      }

      env {
        # Unique per node, and the services' meta.id above.
        SERVICE_ID         = "${NOMAD_ALLOC_ID}"
        ADVERTISE          = "${NOMAD_IP_writer}"
        SERVER_ADDR        = "127.0.0.1"
        SERVER_PORT        = "${NOMAD_PORT_tile38}"
        BIND_ADDR_LEADER   = "${NOMAD_IP_writer}"
        BIND_PORT_LEADER   = "${NOMAD_PORT_writer}"
        BIND_ADDR_FOLLOWER = "${NOMAD_IP_reader}"
        BIND_PORT_FOLLOWER = "${NOMAD_PORT_reader}"
        TCM_HTTP_ADDR      = "${NOMAD_IP_http}"
        TCM_HTTP_PORT      = "${NOMAD_PORT_http}"
        # The Consul agent of this machine (host networking).  With TLS
        # or ACLs, also CONSUL_HTTP_SSL, CONSUL_CACERT,
        # CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY and CONSUL_HTTP_TOKEN
        # (better from a template with Vault or Nomad variables).
        CONSUL_HTTP_ADDR   = "127.0.0.1:8500"
        # The job registers the services; the manager must not.
        SERVICE_MANAGE     = "false"
        # DogStatsD, when an agent runs on the machine.
        DD_AGENT_HOST      = "${attr.unique.network.ip-address}"
      }

      resources {
        cpu    = 200
        memory = 64
      }
    }
  }
}
