# tests/graph: TAP tests for src/graph (see tests/local.mk for the conventions).
check_PROGRAMS += tests/graph/test_graphcut.t tests/graph/test_potts.t \
	tests/graph/test_expansion.t
tests_graph_test_graphcut_t_SOURCES = tests/graph/test_graphcut.c
tests_graph_test_graphcut_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_graph_test_graphcut_t_LDADD = $(SR_TEST_LDADD)
tests_graph_test_potts_t_SOURCES = tests/graph/test_potts.c
tests_graph_test_potts_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_graph_test_potts_t_LDADD = $(SR_TEST_LDADD)
tests_graph_test_expansion_t_SOURCES = tests/graph/test_expansion.c
tests_graph_test_expansion_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_graph_test_expansion_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/graph/test_graphcut.t tests/graph/test_potts.t tests/graph/test_expansion.t

# ADM training term (src/train/adm.c), tested here beside the graph cuts it drives.
check_PROGRAMS += tests/graph/test_adm.t
tests_graph_test_adm_t_SOURCES = tests/graph/test_adm.c
tests_graph_test_adm_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_graph_test_adm_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/graph/test_adm.t

# The dense-CRF latent step of ADM (src/train/adm_dense.c) and the dense term.
check_PROGRAMS += tests/graph/test_adm_dense.t
tests_graph_test_adm_dense_t_SOURCES = tests/graph/test_adm_dense.c
tests_graph_test_adm_dense_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_graph_test_adm_dense_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/graph/test_adm_dense.t

# One ADM iteration decreases the ADM objective; the logged energy (README of
# experiments/adm-grid-crf).
check_PROGRAMS += tests/graph/test_adm_step.t
tests_graph_test_adm_step_t_SOURCES = tests/graph/test_adm_step.c
tests_graph_test_adm_step_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_graph_test_adm_step_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/graph/test_adm_step.t
