// the check both consumers share (this runs in target/it/<consumer>, a copy of src/it/<consumer>)
return evaluate(new File(basedir, '../../../src/it/common/verify.groovy'))
