-- Argo CD action "pause": spec.paused = true.
-- Same as `kubectl modelrollout pause NAME` (a merge patch of spec.paused). It is spec, so an
-- automated sync reverts it unless Git says the same (docs/argocd.md).
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.paused = true
return obj
