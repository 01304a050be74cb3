/* kind_train.h - the run kind 'train' (kind_train.c, doc/train.md),
 * registered with the built-in kinds. */
#ifndef SR_RUNNER_KIND_TRAIN_H
#define SR_RUNNER_KIND_TRAIN_H

#include "runner/kind.h"

extern const sr_kind_t sr_kind_train;

#endif
