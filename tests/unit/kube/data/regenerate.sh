#!/bin/sh
# Regenerates the fixture objects with the real kubectl (client-side dry run; no cluster needed).
# Pods are not here: `kubectl run` needs a server, so the fixture server makes pods from the
# Deployment's pod template as the ReplicaSet controller does.
set -eu
cd "$(dirname "$0")"
export KUBECONFIG=/dev/null
kubectl create deployment web --image=nginx:1.25 --replicas=3 --dry-run=client -o json \
  | kubectl set resources --local -f - --requests=cpu=100m,memory=128Mi --limits=memory=256Mi \
      -o json > deployment.json
kubectl create namespace shop --dry-run=client -o json > namespace.json
kubectl create service clusterip web --tcp=80:8080 --dry-run=client -o json > service.json
kubectl create job report --image=busybox --dry-run=client -o json > job.json
kubectl create cronjob nightly --image=busybox --schedule="0 2 * * *" --dry-run=client -o json \
  > cronjob.json
kubectl create poddisruptionbudget web --selector=app=web --min-available=1 --dry-run=client \
  -o json > pdb.json
