#!/usr/bin/env bash
# A single-node Slurm cluster on localhost, for trying and testing profiles/slurm (not for production).
#
#   bash tools/slurm_cluster.sh install      # Debian's slurm-wlm + munge (root, apt-get), if missing
#   bash tools/slurm_cluster.sh start DIR    # write the config, start munged, slurmctld, slurmd
#   bash tools/slurm_cluster.sh stop DIR     # stop exactly the daemons `start DIR` started, remove its config
#
# Made for machines without systemd or cgroups (containers, CI): proctrack/linuxproc, task/none,
# no accounting (so status queries go through squeue), SlurmUser=root. One node, 127.0.0.1, with
# SLURM_TEST_CPUS CPUs (default: this machine's), a nominal 1 TB of memory (not allocated) and
# SLURM_TEST_GPUS (default 2) placeholder GPUs (gres gpu with character devices like /dev/null
# behind them: jobs see no GPU), in two partitions: `main` (the default) and `gpu`
# (SLURM_TEST_GPU_PARTITION). State, logs and the daemons' pids live in DIR (DIR/pids lists the
# pids `stop` ends). The config must be /etc/slurm/slurm.conf: the executor plugin's job step
# drops SLURM_CONF inside jobs. An existing slurm.conf that this script did not write is never
# touched, and `start` refuses to run beside a slurmctld or slurmd it did not start.
set -euo pipefail

MARK="# written by sketchbook tools/slurm_cluster.sh"
CONF=/etc/slurm/slurm.conf
GRES=/etc/slurm/gres.conf

die() { echo "slurm_cluster: $*" >&2; exit 1; }

need_root() { [ "$(id -u)" = "0" ] || die "needs root (it writes /etc/slurm and starts daemons)"; }

have_slurm() {
  local t
  for t in slurmctld slurmd munged mungekey sbatch squeue sinfo scontrol; do
    command -v "$t" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v "$t" >/dev/null 2>&1 || return 1
  done
}

cmd_install() {
  export PATH="$PATH:/usr/sbin"
  if have_slurm; then echo "slurm_cluster: slurm-wlm and munge already installed"; return; fi
  need_root
  command -v apt-get >/dev/null 2>&1 || die "slurm-wlm/munge missing and no apt-get to install them"
  echo "slurm_cluster: installing slurm-wlm and munge from Debian packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  have_slurm || die "slurm-wlm/munge installed but their commands are not on PATH"
}

# (Files written before the script moved from scripts/ to tools/ carry the old path in the mark.)
ours() { [ -f "$1" ] && head -n1 "$1" | grep -qE "^# written by sketchbook (scripts|tools)/slurm_cluster\.sh"; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local n=$(($1 * 5)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    n=$((n - 1)); [ "$n" -gt 0 ] || return 1
    sleep 0.2
  done
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

cmd_start() {
  local dir=${1:?usage: slurm_cluster.sh start DIR}
  export PATH="$PATH:/usr/sbin"
  need_root
  have_slurm || die "slurm-wlm/munge not installed (run: bash tools/slurm_cluster.sh install)"
  for f in "$CONF" "$GRES"; do
    if [ -e "$f" ] && ! ours "$f"; then
      die "$f exists and was not written by this script; not touching a real Slurm configuration"
    fi
  done
  if pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null; then
    die "a slurmctld or slurmd is already running on this machine; stop it first"
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  rm -rf "$dir/state" "$dir/spool"  # a fresh cluster every time
  mkdir -p "$dir/state" "$dir/spool"
  # Placeholder GPU "devices": character devices like /dev/null (Slurm wants character devices).
  local i devs=() spare=(/dev/null /dev/zero /dev/full /dev/urandom)
  for ((i = 0; i < ${SLURM_TEST_GPUS:-2}; i++)); do
    rm -f "$dir/gpu$i"
    if mknod "$dir/gpu$i" c 1 3 2>/dev/null; then devs+=("$dir/gpu$i"); else devs+=("${spare[i]}"); fi
  done
  : >"$dir/pids"

  # munge: authentication between the Slurm commands and daemons (reuse a running munged).
  if ! (munge -n | unmunge) >/dev/null 2>&1; then
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /etc/munge
    install -d -o munge -g munge -m 0711 /var/lib/munge
    if [ ! -s /etc/munge/munge.key ]; then
      mungekey -c -k /etc/munge/munge.key
      chown munge:munge /etc/munge/munge.key
      chmod 0600 /etc/munge/munge.key
    fi
    setpriv --reuid munge --regid munge --init-groups /usr/sbin/munged -F >"$dir/munged.out" 2>&1 &
    echo "munged $!" >>"$dir/pids"
    wait_for 20 munged sh -c 'munge -n | unmunge' || die "munged did not start (see $dir/munged.out)"
  fi

  local host cpus mem gpus gpu_part
  host=$(hostname -s)
  cpus=${SLURM_TEST_CPUS:-$(nproc)}
  mem=1048576
  gpus=${SLURM_TEST_GPUS:-2}
  gpu_part=${SLURM_TEST_GPU_PARTITION:-gpu}
  mkdir -p /etc/slurm
  cat >"$CONF" <<EOF
$MARK (start $dir); removed by its stop
ClusterName=sketchbook
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# No systemd, no cgroups: track processes through /proc, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# No accounting database: squeue is the status command (jobs stay listed for MinJobAge seconds).
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=300
SchedulerType=sched/backfill
SelectType=select/cons_tres
# CPUs (and GPUs) are allocated; memory is not, and the node's RealMemory is nominal (with
# config_overrides, slurmd does not drain the node for having less memory or fewer CPUs than
# configured): jobs' --mem requests (16 GB for the GPU rules) are accepted on small machines.
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
GresTypes=gpu
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:$gpus State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
PartitionName=$gpu_part Nodes=$host MaxTime=INFINITE State=UP
EOF
  cat >"$GRES" <<EOF
$MARK (start $dir); removed by its stop
# Placeholder GPUs: Slurm counts and allocates them; no GPU is behind their device files.
EOF
  for i in "${devs[@]}"; do echo "NodeName=$host Name=gpu File=$i" >>"$GRES"; done

  slurmctld -D -i >"$dir/slurmctld.out" 2>&1 &
  echo "slurmctld $!" >>"$dir/pids"
  wait_for 30 slurmctld scontrol ping || die "slurmctld did not start (see $dir/slurmctld.log)"
  slurmd -D >"$dir/slurmd.out" 2>&1 &
  echo "slurmd $!" >>"$dir/pids"
  if ! wait_for 60 "node idle" sh -c "sinfo -h -n '$host' -o %t | grep -qx idle"; then
    die "node $host did not become idle: $(sinfo -h -N -o '%N %t %E' 2>&1) (see $dir/slurmd.log)"
  fi
  echo "slurm_cluster: up (node $host: $cpus CPUs, ${mem} MB, $gpus placeholder GPUs; partitions main*, $gpu_part; pids in $dir/pids)"
}

cmd_stop() {
  local dir=${1:?usage: slurm_cluster.sh stop DIR}
  local name pid n
  if [ -f "$dir/pids" ]; then
    # Reverse order: slurmd, slurmctld, then munged.
    tac "$dir/pids" | while read -r name pid; do
      if alive "$pid" && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$name" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        n=50
        while alive "$pid" && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
        alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
      fi
    done
    : >"$dir/pids"
  fi
  for f in "$CONF" "$GRES"; do
    if ours "$f" && grep -qF "(start $(cd "$dir" 2>/dev/null && pwd))" "$f"; then rm -f "$f"; fi
  done
  echo "slurm_cluster: stopped"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  *) die "usage: $0 install | start DIR | stop DIR" ;;
esac
