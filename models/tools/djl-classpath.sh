# Sourced (not run): sets CP to DJL 0.36.0 with libtorch 2.7.1 (CPU) from ~/.m2, the versions the server uses, for
# the scripts that compile a small Java check without a Maven build (run-djl-check.sh, bench/int8-encoder/run.sh).
R="$HOME/.m2/repository"
CP="$R/ai/djl/api/0.36.0/api-0.36.0.jar:$R/ai/djl/huggingface/tokenizers/0.36.0/tokenizers-0.36.0.jar"
CP="$CP:$R/ai/djl/pytorch/pytorch-engine/0.36.0/pytorch-engine-0.36.0.jar"
CP="$CP:$R/ai/djl/pytorch/pytorch-jni/2.7.1-0.36.0/pytorch-jni-2.7.1-0.36.0.jar"
CP="$CP:$R/ai/djl/pytorch/pytorch-native-cpu/2.7.1/pytorch-native-cpu-2.7.1-linux-x86_64.jar"
CP="$CP:$R/net/java/dev/jna/jna/5.17.0/jna-5.17.0.jar:$R/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar"
CP="$CP:$R/com/google/code/gson/gson/2.13.2/gson-2.13.2.jar"
