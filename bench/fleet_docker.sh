#!/bin/sh
# The fleet bench's stand-in for `docker` on a light host: records every call in
# ~/.standin/calls.log and keeps just enough state (one file per container: "ROLE STATUS") to
# answer what a deploy asks: inspect, image inspect, run, ps with role/status filters, stop, rm.
# Shell builtins only, except `mkdir` once per host and `rm` for `docker rm`: the stand-in is
# the bench's own cost on the hosts' side, not kamalpy's, so it forks no more than it must.
d="$HOME/.standin"
[ -d "$d/c" ] || mkdir -p "$d/c"
printf '%s\n' "$*" >> "$d/calls.log"
status_of() { [ -f "$d/c/$1" ] && read -r _ s < "$d/c/$1" && echo "$s"; }
set_status() { [ -f "$d/c/$1" ] && read -r r _ < "$d/c/$1" && echo "$r $2" > "$d/c/$1"; }
case "$1" in
inspect)
  format=$3; name=$4
  s=$(status_of "$name") || { echo "Error: No such object: $name" >&2; exit 1; }
  case "$format" in *Health*) echo "$s none 0" ;; *) echo "$s" ;; esac ;;
image)
  shift; img=; for a; do img=$a; done
  repo=${img%:*}; echo "${repo##*/}" ;;
run)
  name=; role=; prev=
  for a; do
    case "$prev" in --name) name=$a ;; --label) case "$a" in role=*) role=${a#role=} ;; esac ;; esac
    prev=$a
  done
  echo "$role running" > "$d/c/$name"; echo "standin-$name" ;;
ps)
  role=; statuses=; all=; prev=
  for a; do
    case "$prev:$a" in
      --filter:label=role=*) role=${a#label=role=} ;;
      --filter:status=*) statuses="$statuses ${a#status=}" ;;
    esac
    [ "$a" = --all ] && all=1
    prev=$a
  done
  for f in "$d"/c/*; do
    [ -f "$f" ] || continue
    read -r r s < "$f"
    [ -n "$role" ] && [ "$r" != "$role" ] && continue
    if [ -n "$statuses" ]; then
      case " $statuses " in *" $s "*) ;; *) continue ;; esac
    elif [ -z "$all" ] && [ "$s" != running ]; then continue; fi
    echo "${f##*/}"
  done ;;
stop)
  shift; [ "$1" = -t ] && shift 2
  for n; do set_status "$n" exited; done ;;
start) set_status "$2" running ;;
rm)
  shift; for n; do case "$n" in -*) ;; *) rm -f "$d/c/$n" ;; esac; done ;;
esac
exit 0
