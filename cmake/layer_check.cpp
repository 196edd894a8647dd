// Empty on purpose: each <layer>_layer_check shared object is this file plus one layer's whole
// archive, linked with --no-undefined (see CMakeLists.txt).
