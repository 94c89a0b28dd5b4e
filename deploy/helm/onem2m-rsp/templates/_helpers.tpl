{{/* Chart name. */}}
{{- define "onem2m.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name prefix of every object; component names append "-mef"/"-maf" (so keep it <= 40). */}}
{{- define "onem2m.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Chart label value. */}}
{{- define "onem2m.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Common labels. Context: root. */}}
{{- define "onem2m.labels" -}}
helm.sh/chart: {{ include "onem2m.chart" . }}
app.kubernetes.io/name: {{ include "onem2m.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: onem2m-rsp
{{- end -}}

{{/* Selector labels of one component. Context: dict root, component. */}}
{{- define "onem2m.selectorLabels" -}}
app.kubernetes.io/name: {{ include "onem2m.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of one component. Context: dict root, component. */}}
{{- define "onem2m.componentLabels" -}}
{{ include "onem2m.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Component object name. Context: dict root, component. */}}
{{- define "onem2m.componentName" -}}
{{- printf "%s-%s" (include "onem2m.fullname" .root) .component -}}
{{- end -}}

{{/* ServiceAccount name. Context: dict root, component. */}}
{{- define "onem2m.serviceAccountName" -}}
{{- $c := index .root.Values .component -}}
{{- if $c.serviceAccount.create -}}
{{- default (include "onem2m.componentName" .) $c.serviceAccount.name -}}
{{- else -}}
{{- default "default" $c.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image reference. Context: dict root, component. */}}
{{- define "onem2m.image" -}}
{{- $c := index .root.Values .component -}}
{{- $img := .root.Values.image -}}
{{- $repo := $c.image.repository -}}
{{- if $img.registry }}{{ $repo = printf "%s/%s" (trimSuffix "/" $img.registry) $c.image.repository }}{{ end -}}
{{- if $c.image.digest -}}
{{- printf "%s@%s" $repo $c.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (required "image.tag must not be empty" (default $img.tag $c.image.tag)) -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret with the gRPC TLS material. Context: dict root, component. */}}
{{- define "onem2m.tlsSecretName" -}}
{{- $c := index .root.Values .component -}}
{{- if .root.Values.certManager.enabled -}}
{{- printf "%s-tls" (include "onem2m.componentName" .) -}}
{{- else -}}
{{- required (printf "%s.tls.existingSecret is required when certManager.enabled is false" .component) $c.tls.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* MEF endpoints for the MAF (flag --mef_endpoints). Context: root. */}}
{{- define "onem2m.mefEndpoints" -}}
{{- $eps := list -}}
{{- range .Values.maf.mefEndpoints -}}
{{- $eps = append $eps (printf "%s=%s" .fqdn .target) -}}
{{- end -}}
{{- if not $eps -}}
{{- if not .Values.mef.enabled -}}
{{- fail "maf.mefEndpoints is required when mef.enabled is false" -}}
{{- end -}}
{{- $svc := printf "%s-credential" (include "onem2m.componentName" (dict "root" . "component" "mef")) -}}
{{- $eps = append $eps (printf "%s=dns:///%s.%s.svc.%s:%d" .Values.mef.fqdn $svc .Release.Namespace .Values.clusterDomain (int .Values.mef.ports.grpc)) -}}
{{- end -}}
{{- join "," $eps -}}
{{- end -}}

{{/* The flagfile of one component. Context: dict root, component. */}}
{{- define "onem2m.flagfile" -}}
{{- $root := .root -}}
{{- $c := index $root.Values .component -}}
# {{ .component }}_server flagfile (Abseil format), rendered by Helm. Precedence: command-line flag >
# environment ONEM2M_<FLAG> > this file > built-in default. The database connection string is not
# here: it comes from a Secret as env ONEM2M_PG.
--tls_listen=[::]:{{ int $c.ports.tls }}
--dtls_listen=[::]:{{ int $c.ports.dtls }}
{{- if eq .component "mef" }}
--credential_grpc_listen=[::]:{{ int $c.ports.grpc }}
{{- if $c.ports.fetchHttps }}
--fetch_https_listen=[::]:{{ int $c.ports.fetchHttps }}
{{- end }}
{{- else }}
--key_grpc_listen=[::]:{{ int $c.ports.grpc }}
{{- end }}
--admin_grpc_listen=[::]:{{ int $c.ports.admin }}
--ops_listen=[::]:{{ int $c.ports.ops }}
{{- if $c.kek.existingSecret }}
--kek_file=/var/run/secrets/onem2m/kek/keyring
{{- end }}
{{- if eq $c.kek.backend "pkcs11" }}
--kek_backend=pkcs11
--pkcs11_module={{ $c.kek.pkcs11.module }}
--pkcs11_token_label={{ required (printf "%s.kek.pkcs11.tokenLabel is required with kek.backend pkcs11" .component) $c.kek.pkcs11.tokenLabel }}
--pkcs11_pin_file=/var/run/secrets/onem2m/hsm/pin
--pkcs11_sessions={{ int $c.kek.pkcs11.sessions }}
{{- end }}
{{- if $c.kek.activeVersion }}
--kek_active_version={{ int64 $c.kek.activeVersion }}
{{- end }}
--tls_cert=/var/run/secrets/onem2m/tls/tls.crt
--tls_key=/var/run/secrets/onem2m/tls/tls.key
--tls_ca=/var/run/secrets/onem2m/tls/ca.crt
{{- if eq .component "mef" }}
--mef_fqdn={{ $c.fqdn }}
{{- else }}
--maf_fqdn={{ $c.fqdn }}
--mef_endpoints={{ include "onem2m.mefEndpoints" $root }}
--cache_ttl={{ $c.kmCache.ttl }}
--negative_ttl={{ $c.kmCache.negativeTtl }}
{{- end }}
--grace_period={{ int $root.Values.gracePeriodSeconds }}s
--log_format={{ $root.Values.logging.format }}
{{- if $c.adminIdentities }}
--admin_identities={{ join "," $c.adminIdentities }}
{{- end }}
{{- if $c.tlsSuites }}
--tls_suites={{ join "," $c.tlsSuites }}
{{- end }}
{{- if $c.dtlsSuites }}
--dtls_suites={{ join "," $c.dtlsSuites }}
{{- end }}
--max_sessions={{ int $c.capacity.maxSessions }}
--memory_budget_bytes={{ int64 $c.capacity.memoryBudgetBytes }}
{{- if and $c.tls13 $c.tls13.enabled }}
--tls13=true
--tls13_importer={{ $c.tls13.importer }}
--tls13_psk_mode={{ $c.tls13.pskMode }}
{{- end }}
{{- range $k, $v := $c.extraFlags }}
--{{ $k }}={{ $v }}
{{- end }}
{{- end -}}

{{/*
Fails when two listeners of one component share a port number and protocol (JSON Schema cannot
compare two values). TLS, gRPC, admin, ops and the MEF's HTTPS fetch are TCP; DTLS is UDP. Context: dict root, component.
*/}}
{{- define "onem2m.checkPorts" -}}
{{- $c := index .root.Values .component -}}
{{- $seen := dict -}}
{{- range $name := list "tls" "grpc" "admin" "ops" "fetchHttps" -}}
{{- if (index $c.ports $name | default 0) -}}
{{- $p := toString (int (index $c.ports $name)) -}}
{{- if hasKey $seen $p -}}
{{- fail (printf "%s.ports.%s and %s.ports.%s are both TCP port %s" $.component (get $seen $p) $.component $name $p) -}}
{{- end -}}
{{- $_ := set $seen $p $name -}}
{{- end -}}
{{- end -}}
{{- end -}}
