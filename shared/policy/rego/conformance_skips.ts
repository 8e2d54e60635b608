// Conformance cases the engine deliberately does not run, keyed by
// "<file>::<note>", each with the builtin or feature it lacks.

const TARGET = "regorus azure_policy `__target__` extension (target registry, effect validation, resource type inference) - not part of OPA Rego";

export const SKIPS: Readonly<Record<string, string>> = Object.freeze({
  "target/azure_policy.yaml::Azure Policy Invalid Resource Type": TARGET,
  "target/basic.yaml::target/target_resolution_timing": TARGET,
  "target/basic.yaml::target/missing_string_literal": TARGET,
  "target/basic.yaml::target/nonexistent_target": TARGET,
  "target/basic.yaml::target/target_after_rule": TARGET,
  "target/basic.yaml::target/multiple_modules_same_target": TARGET,
  "target/basic.yaml::target/multiple_modules_different_targets": TARGET,
  "target/basic.yaml::target/multiple_different_effects_same_package": TARGET,
  "target/basic.yaml::target/no_effect_rules_defined": TARGET,
  "target/basic.yaml::target/effect_subpath_should_fail": TARGET,
  "target/basic.yaml::target/multiple_subpath_rules_should_fail": TARGET,
  "target/basic.yaml::target/effect_schema_validation_invalid_type": TARGET,
  "target/basic.yaml::target/effect_schema_validation_missing_required_field": TARGET,
  "target/basic.yaml::target/effect_schema_validation_enum_constraint": TARGET,
  "target/basic.yaml::target/multiple_targets_different_schemas": TARGET,
  "target/basic.yaml::target/package_validation_error_consistency": TARGET,
  "target/complex.yaml::target/complex_conditional_logic_with_multiple_rules": TARGET,
  "target/complex.yaml::target/corner_case_null_and_undefined_handling": TARGET,
  "target/complex.yaml::target/corner_case_unicode_and_special_characters": TARGET,
  "target/complex.yaml::target/complex_schema_validation_failure_detailed": TARGET,
  "target/complex.yaml::target/complex_multiple_modules_with_helper_functions": TARGET,
  "target/complex.yaml::target/corner_case_very_long_strings": TARGET,
  "target/msgraph.yaml::Microsoft Graph Invalid Resource Type": TARGET,
  "target/resource_type_inference.yaml::target/infer_resource_type_complex_target_storage": TARGET,
  "target/resource_type_inference.yaml::target/infer_resource_type_array_access_selector": TARGET,
  "target/resource_type_inference.yaml::target/infer_resource_type_multiple_types_same_rule": TARGET,
  "target/resource_type_inference.yaml::target/infer_resource_type_invalid_schema_error": TARGET,
  "target/resource_type_inference.yaml::target/infer_resource_type_missing_default_schema_error": TARGET,
});
