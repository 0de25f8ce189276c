-- Argo CD action "abort": all traffic back to stable, canary to zero, phase RolledBack.
-- Same as `kubectl modelrollout abort NAME`: the annotation modelrollout.io/abort=true. The controller
-- acknowledges it in status and removes it (docs/lifecycle.md).
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["modelrollout.io/abort"] = "true"
return obj
