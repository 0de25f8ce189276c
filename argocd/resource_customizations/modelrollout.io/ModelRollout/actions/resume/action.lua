-- Argo CD action "resume": spec.paused = false.
-- Same as `kubectl modelrollout resume NAME` (a merge patch of spec.paused). It is spec, so an
-- automated sync reverts it unless Git says the same (docs/argocd.md).
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.paused = false
return obj
