-- Argo CD action "promote-full": promote without waiting for analysis.
-- Same as `kubectl modelrollout promote NAME --full`: the annotation modelrollout.io/promote=full. The controller
-- acknowledges it in status and removes it (docs/lifecycle.md).
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["modelrollout.io/promote"] = "full"
return obj
