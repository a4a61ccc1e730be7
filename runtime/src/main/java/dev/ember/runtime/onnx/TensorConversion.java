package dev.ember.runtime.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.TensorInfo.OnnxTensorType;
import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.TensorSpec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Moves tensors across the ONNX Runtime boundary; the only place besides sessions that sees ai.onnxruntime types. */
final class TensorConversion {

    private TensorConversion() {
    }

    static DataType datatype(OnnxTensorType type) {
        return switch (type) {
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL -> DataType.BOOL;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 -> DataType.UINT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 -> DataType.UINT16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 -> DataType.UINT32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 -> DataType.UINT64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 -> DataType.INT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 -> DataType.INT16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 -> DataType.INT32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 -> DataType.INT64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 -> DataType.FP16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT -> DataType.FP32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE -> DataType.FP64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING -> DataType.BYTES;
            default -> throw new IllegalArgumentException("ONNX element type " + type + " has no protocol datatype");
        };
    }

    /** ONNX Runtime's Java API cannot create UINT16/32/64 tensors: those datatypes are refused as input. */
    private static OnnxJavaType javaType(DataType type) {
        return switch (type) {
            case BOOL -> OnnxJavaType.BOOL;
            case UINT8 -> OnnxJavaType.UINT8;
            case INT8 -> OnnxJavaType.INT8;
            case INT16 -> OnnxJavaType.INT16;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case FP16 -> OnnxJavaType.FLOAT16;
            case FP32 -> OnnxJavaType.FLOAT;
            case FP64 -> OnnxJavaType.DOUBLE;
            default -> throw new InvalidInputException("datatype " + type
                    + " is not supported by ONNX Runtime's Java API as a model input");
        };
    }

    static List<TensorSpec> specs(Map<String, NodeInfo> infos) {
        List<TensorSpec> specs = new ArrayList<>(infos.size());
        for (NodeInfo info : infos.values()) {
            if (!(info.getInfo() instanceof TensorInfo t)) {
                throw new IllegalArgumentException("'" + info.getName() + "' is not a tensor (" + info.getInfo()
                        + "): only tensor inputs and outputs are served");
            }
            long[] shape = t.getShape();
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0) {
                    shape[i] = -1;
                }
            }
            specs.add(new TensorSpec(info.getName(), datatype(t.onnxType), shape));
        }
        return specs;
    }

    static OnnxTensor toOnnx(OrtEnvironment env, Tensor tensor) throws OrtException {
        if (tensor.datatype() == DataType.BYTES) {
            return OnnxTensor.createTensor(env, tensor.strings(), tensor.shape());
        }
        // a direct native-order buffer is used in place, without a copy
        return OnnxTensor.createTensor(env, tensor.data(), tensor.shape(), javaType(tensor.datatype()));
    }

    static Tensor fromOnnx(OnnxTensor value) throws OrtException {
        TensorInfo info = value.getInfo();
        DataType type = datatype(info.onnxType);
        long[] shape = info.getShape();
        if (type == DataType.BYTES) {
            return Tensor.ofStrings(shape, flattenStrings(value.getValue(), (int) Tensor.elementCount(shape)));
        }
        ByteBuffer bytes = value.getByteBuffer();
        return Tensor.of(type, shape, bytes);
    }

    private static String[] flattenStrings(Object value, int count) {
        String[] out = new String[count];
        int[] index = {0};
        collect(value, out, index);
        return out;
    }

    private static void collect(Object value, String[] out, int[] index) {
        if (value instanceof String s) {
            out[index[0]++] = s;
        } else if (value instanceof Object[] array) {
            for (Object o : array) {
                collect(o, out, index);
            }
        }
    }
}
