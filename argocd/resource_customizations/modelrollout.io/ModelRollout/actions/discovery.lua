-- Argo CD action discovery for modelrollout.io/ModelRollout: which of the actions in this
-- directory the UI offers, and which are greyed out, for the live object `obj`.
-- The actions set exactly what `kubectl modelrollout promote|abort|retry|pause|resume` set
-- (docs/plugin.md); enabling follows docs/lifecycle.md:
--   promote, promote-full  a canary is under way (Progressing, Paused; promote-full also a
--                          Degraded rollout with a canary, the documented way out of StableMissing)
--   abort                  a canary is under way (ignored by the controller once Promoting)
--   retry                  RolledBack, or Paused by the controller (onInconclusiveLimit: Pause)
--   pause / resume         spec.paused is not set / is set
-- Uses only base and table (what Argo CD opens for scripts from argocd-cm).
local actions = {}

local status = obj.status or {}
local spec = obj.spec or {}
local phase = status.phase
local specPaused = spec.paused == true
local hasCanary = status.canaryRevision ~= nil and status.canaryRevision ~= ""
local canaryUnderWay = phase == "Progressing" or phase == "Paused"

actions["promote"] = { ["disabled"] = not canaryUnderWay }
actions["promote-full"] = { ["disabled"] = not (canaryUnderWay or (phase == "Degraded" and hasCanary)) }
actions["abort"] = { ["disabled"] = not (canaryUnderWay or (phase == "Degraded" and hasCanary)) }
actions["retry"] = { ["disabled"] = not (phase == "RolledBack" or (phase == "Paused" and not specPaused)) }
actions["pause"] = { ["disabled"] = specPaused }
actions["resume"] = { ["disabled"] = not specPaused }
return actions
