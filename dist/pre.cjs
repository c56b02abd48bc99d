'use strict';
// The pre step: everything is in index.cjs, shared by the steps.
void require("./index.cjs").pre();
