-- Argo CD health check for modelrollout.io/ModelRollout.
-- Install as resource.customizations.health.modelrollout.io_ModelRollout in argocd-cm
-- (docs/argocd.md). Argo CD runs it with gopher-lua (Lua 5.1) and a global `obj`, the live
-- object; it must return {status = ..., message = ...}. It uses only what Argo CD opens for
-- scripts from argocd-cm (base, table, package, a safe os): no string or math library.
--
-- Only the controller writes status, so a status older than the spec says nothing about the
-- spec Argo CD just synced: until observedGeneration catches up the rollout is Progressing.
local hs = {}

local function generationObserved(o)
  if o.metadata == nil or o.metadata.generation == nil then
    return true
  end
  return o.status.observedGeneration ~= nil and o.status.observedGeneration >= o.metadata.generation
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to report status"
  return hs
end

if not generationObserved(obj) then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to observe generation " .. tostring(obj.metadata.generation)
  return hs
end

local byPhase = {
  Healthy = "Healthy",
  Progressing = "Progressing",
  Promoting = "Progressing",
  Paused = "Suspended",
  RolledBack = "Degraded",
  Degraded = "Degraded",
}

local phase = obj.status.phase
if phase == nil or phase == "" then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to set a phase"
  return hs
end

hs.status = byPhase[phase]
if hs.status == nil then
  hs.status = "Unknown"
  hs.message = "Unknown phase " .. tostring(phase)
  return hs
end
if obj.status.message ~= nil and obj.status.message ~= "" then
  hs.message = obj.status.message
else
  hs.message = phase
end
return hs
