#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (Debian's slurmctld, slurmd, slurm-client, munge), for the cluster tests
# and for trying `unir sweep --executor slurm` locally. Needs root.
#   bash scripts/slurm-cluster.sh install   apt packages (slurmctld slurmd slurm-client munge)
#   bash scripts/slurm-cluster.sh start     munged + slurmctld + slurmd; waits until the node is idle
#   bash scripts/slurm-cluster.sh stop      stops the three daemons by their pid files
#   bash scripts/slurm-cluster.sh status    exit 0 when the controller answers and the node is up
# State, spool, logs and pid files live under $UNIR_SLURM_DIR (default /var/tmp/unir-slurm).
set -euo pipefail
DIR="${UNIR_SLURM_DIR:-/var/tmp/unir-slurm}"
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB="$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 3 / 4 ))"

need_root() { [ "$(id -u)" = 0 ] || { echo "slurm-cluster: run as root (sudo bash $0 $1)" >&2; exit 1; }; }

install() {
  need_root install
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then return; fi
  apt-get update -qq
  # the packages start their services on install, before any slurm.conf exists, and apt fails when they cannot:
  # a policy-rc.d that denies service starts keeps the install to files (this script starts the daemons itself)
  local policy=/usr/sbin/policy-rc.d added=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null || { [ -z "$added" ] || rm -f "$policy"; exit 1; }
  [ -z "$added" ] || rm -f "$policy"
}

write_conf() {
  mkdir -p "$DIR"/{state,spool,log,run} /etc/slurm
  cat >/etc/slurm/slurm.conf <<CONF
ClusterName=unir
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SchedulerType=sched/backfill
DefMemPerCPU=1024
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
KillWait=30
MinJobAge=300
MaxArraySize=10001
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
}

start_munge() {
  mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
  [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chmod 400 /etc/munge/munge.key; }
  chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge /etc/munge/munge.key
  if [ -f /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; then return; fi
  su -s /bin/sh munge -c "munged --pid-file=/run/munge/munged.pid"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  need_root start
  command -v slurmctld >/dev/null || { echo "slurm-cluster: slurmctld not installed; run 'bash $0 install' first" >&2; exit 1; }
  write_conf
  start_munge
  alive "$DIR/run/slurmctld.pid" || slurmctld
  alive "$DIR/run/slurmd.pid" || slurmd
  for _ in $(seq 1 60); do
    state="$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)"
    case "$state" in idle|mix|alloc) echo "slurm-cluster: node $HOST $state (partition debug, $CPUS CPUs, ${MEM_MB} MB)"; return 0 ;; esac
    sleep 1
  done
  echo "slurm-cluster: the node did not come up; see $DIR/log/" >&2
  exit 1
}

stop() {
  for pidfile in "$DIR/run/slurmd.pid" "$DIR/run/slurmctld.pid" /run/munge/munged.pid; do
    if alive "$pidfile"; then
      pid="$(cat "$pidfile")"
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  echo "slurm-cluster: stopped"
}

status() { scontrol ping 2>/dev/null | grep -q UP && sinfo -h -N -o '%t' 2>/dev/null | grep -qE 'idle|mix|alloc'; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
