# src/train: the trainer (epochs, loss terms, validation, checkpoints).
libsegrep_impl_la_SOURCES += src/train/train.c src/train/terms.c src/train/checkpoint.c

srtrainincludedir = $(pkgincludedir)/train
srtraininclude_HEADERS = src/train/train.h src/train/terms.h src/train/checkpoint.h

# ADM training term and the Lovász prox ("modified backpropagation") term.
libsegrep_impl_la_SOURCES += src/train/adm.c src/train/adm_dense.c src/train/prox_term.c
srtraininclude_HEADERS += src/train/adm.h src/train/adm_dense.h src/train/prox_term.h

# Per-epoch term-weight schedules (boundary loss: increase, rebalance).
libsegrep_impl_la_SOURCES += src/train/weight_schedule.c
srtraininclude_HEADERS += src/train/weight_schedule.h

# Chapter 5 size regressor (stage 1 of the curriculum) and DeepCut proposals.
libsegrep_impl_la_SOURCES += src/train/size_reg.c src/train/deepcut.c
srtraininclude_HEADERS += src/train/size_reg.h src/train/deepcut.h
