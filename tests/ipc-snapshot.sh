#!/bin/sh
# Print one line per System V shared-memory segment and semaphore set:
# "shm|sem KEY ID". Used by ipc-begin.sh and ipc-end.sh.
awk 'NR > 1 { printf "shm %s %s\n", $1, $2 }' /proc/sysvipc/shm
awk 'NR > 1 { printf "sem %s %s\n", $1, $2 }' /proc/sysvipc/sem
